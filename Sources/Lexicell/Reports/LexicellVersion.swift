/// The tool's version, recorded in every result file and bundle.
public enum LexicellVersion {
    public static let string = "0.1.0"
}
