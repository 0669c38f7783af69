import Foundation
import LexicellCore
import XCTest

/// Paths of the repository and its bundled data, for tests in any target.
public enum Repository {
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    public static let data = root + "/data"
    public static let romanov = data + "/datasets/romanov2017_hypothalamus_neurons"
    public static let pbmc = data + "/datasets/pbmc68k_reduced"
}

/// A fresh directory under the system temporary directory, named for the test.
public func temporaryDirectory(_ name: String) -> String {
    let dir = NSTemporaryDirectory() + "lexicell-\(name)-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// Asserts that `body` throws a `LexicellError` whose text contains every fragment.
public func assertLexicellError(
    _ fragments: [String], file: StaticString = #filePath, line: UInt = #line,
    _ body: () throws -> Void
) {
    do {
        try body()
        XCTFail("expected a LexicellError containing \(fragments)", file: file, line: line)
    } catch let error as LexicellError {
        for f in fragments {
            XCTAssertTrue(error.description.contains(f), "\"\(error.description)\" lacks \"\(f)\"", file: file, line: line)
        }
    } catch {
        XCTFail("expected a LexicellError, got \(error)", file: file, line: line)
    }
}

/// The same for an expression: `assertThrowsLexicell(try f(), containing: […])`.
public func assertThrowsLexicell(
    _ body: @autoclosure () throws -> Any, containing parts: [String],
    file: StaticString = #filePath, line: UInt = #line
) {
    assertLexicellError(parts, file: file, line: line) { _ = try body() }
}
