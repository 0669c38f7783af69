import XCTest
import LexicellCore
@testable import LexicellPathways

final class GMTTests: XCTestCase {
    func testPlaceholder() {}
}
