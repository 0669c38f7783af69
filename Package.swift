// swift-tools-version:6.0
import PackageDescription

// One module per pipeline stage; data flows read → genes → text → cells → learn → classify → report.
let package = Package(
    name: "Lexicell",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Lexicell", targets: ["Lexicell"]),
        .executable(name: "lexicell", targets: ["lexicell"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
    ],
    targets: [
        // System libraries from Debian: libopenblas-dev, libhdf5-dev, zlib1g-dev.
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5"),
        .systemLibrary(name: "CLexZlib", path: "Sources/CLexZlib"),
        .systemLibrary(name: "CLexSys", path: "Sources/CLexSys"),

        .target(name: "LexicellCore", dependencies: ["CBLAS", "CLexZlib", "CLexSys"]),
        .target(name: "LexicellIO", dependencies: ["LexicellCore", "CHDF5", "CLexZlib", "CLexSys"]),
        .target(name: "LexicellGenes", dependencies: ["LexicellCore"]),
        .target(
            name: "LexicellText",
            dependencies: [
                "LexicellCore", "CBLAS",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]),
        .target(
            name: "LexicellRemote",
            dependencies: [
                "LexicellCore", "LexicellText", "LexicellGenes",
            ]),
        .target(name: "LexicellCells", dependencies: ["LexicellCore", "LexicellGenes", "CBLAS"]),
        .target(name: "LexicellLearn", dependencies: ["LexicellCore", "CBLAS"]),
        .target(name: "LexicellNeighbors", dependencies: ["LexicellCore", "CBLAS"]),
        .target(name: "LexicellClassify", dependencies: ["LexicellCore", "LexicellNeighbors", "CBLAS"]),
        .target(name: "LexicellReport", dependencies: ["LexicellCore", "LexicellNeighbors", "CBLAS"]),
        .target(name: "LexicellPathways", dependencies: ["LexicellCore"]),
        .target(
            name: "Lexicell",
            dependencies: [
                "LexicellCore", "LexicellIO", "LexicellGenes", "LexicellText", "LexicellCells",
                "LexicellLearn", "LexicellNeighbors", "LexicellClassify", "LexicellReport", "LexicellPathways",
            ]),
        // libFuzzer harness for the readers (`make fuzz`); an ordinary build is a replay tool.
        .executableTarget(name: "LexicellFuzz", dependencies: ["LexicellCore", "LexicellIO", "LexicellGenes", "Lexicell"]),
        // Timing harnesses behind `lexicell bench` (kept out of the stage modules).
        .target(name: "LexicellBench", dependencies: ["Lexicell"]),
        // The command line: typed options over the library's runs, in a library so tests parse it in-process.
        .target(
            name: "LexicellCLI",
            dependencies: [
                "Lexicell", "LexicellBench", "LexicellRemote", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(name: "lexicell", dependencies: ["LexicellCLI"]),

        // Helpers shared by the test targets (repository paths, error assertions, temporary directories).
        .target(name: "LexicellTestSupport", dependencies: ["LexicellCore"], path: "Tests/LexicellTestSupport"),
        .testTarget(name: "CoreTests", dependencies: ["LexicellTestSupport", "LexicellCore", "CLexSys"]),
        .testTarget(name: "IOTests", dependencies: ["LexicellTestSupport", "LexicellIO"], exclude: ["Fixtures"]),
        .testTarget(name: "GenesTests", dependencies: ["LexicellGenes"]),
        .testTarget(name: "TextTests", dependencies: ["LexicellTestSupport", "LexicellText"], exclude: ["Fixtures"]),
        .testTarget(name: "CellsTests", dependencies: ["LexicellCells"], exclude: ["Fixtures"]),
        .testTarget(name: "LearnTests", dependencies: ["LexicellLearn", "LexicellClassify"]),
        .testTarget(name: "ClassifyTests", dependencies: ["LexicellClassify", "LexicellBench"], exclude: ["Fixtures"]),
        .testTarget(name: "ReportTests", dependencies: ["LexicellReport", "LexicellNeighbors", "LexicellBench"]),
        .testTarget(name: "PathwaysTests", dependencies: ["LexicellPathways", "LexicellIO"], exclude: ["Fixtures"]),
        .testTarget(name: "RemoteTests", dependencies: ["LexicellTestSupport", "LexicellRemote"]),
        .testTarget(name: "PipelineTests", dependencies: ["LexicellTestSupport", "Lexicell"]),
        .testTarget(
            name: "CLITests", dependencies: ["LexicellTestSupport", "LexicellCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
    ],
    swiftLanguageModes: [.v5]
)
