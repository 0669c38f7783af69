import LexicellClassify

/// One representation × head pair a selecting method may choose.
public struct MethodCandidate {
    public var representation: CellRepresentation
    public var head: HeadKind
    public init(_ representation: CellRepresentation, _ head: HeadKind) {
        self.representation = representation
        self.head = head
    }
    public var label: String { representation.name + " + " + head.label }
}
