import Foundation
import LexicellCore
import LexicellIO

/// Subtype → group (e.g. susceptible / resilient), read from a two-column CSV/TSV (subtype, group).
public struct GroupMap: Sendable {
    public var groupOf: [String: String]

    public init(groupOf: [String: String]) { self.groupOf = groupOf }

    public static func load(path: String) throws -> GroupMap {
        let t = try Table.read(path)
        guard t.header.count >= 2 else { throw LexicellError("expected two columns: subtype, group", file: path, line: 1) }
        var map = [String: String]()
        for (i, row) in t.rows.enumerated() {
            if let old = map[row[0]], old != row[1] {
                throw LexicellError("subtype '\(row[0])' is in two groups ('\(old)' and '\(row[1])')", file: path, line: i + 2)
            }
            map[row[0]] = row[1]
        }
        return GroupMap(groupOf: map)
    }

    public func group(_ label: String) -> String { groupOf[label] ?? (label == Annotation.unassigned ? Annotation.unassigned : "other") }
}
