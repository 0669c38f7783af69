import LexicellCore

/// Seeded stratified splitting of cell indices by class.
public enum StratifiedSplit {
    /// Each class contributes round(n_c · testFraction) cells to the test set, at least one and leaving at
    /// least one for training (classes of a single cell stay in training).
    public static func trainTest(labels: [Int], testFraction: Double, seed: UInt64) -> (train: [Int], test: [Int]) {
        var rng = SeededGenerator(seed: seed)
        var train = [Int](), test = [Int]()
        for members in byClass(labels) {
            var m = members
            m.shuffle(using: &rng)
            let nTest = m.count < 2 ? 0 : min(m.count - 1, max(1, Int((Double(m.count) * testFraction).rounded())))
            test += m[0..<nTest]
            train += m[nTest...]
        }
        return (train.sorted(), test.sorted())
    }

    /// `folds` stratified folds: each class's shuffled members are dealt round-robin, continuing where the
    /// previous class stopped so fold sizes stay balanced. Returns the fold number of each position.
    public static func kFold(labels: [Int], folds: Int, seed: UInt64) -> [Int] {
        var rng = SeededGenerator(seed: seed)
        var fold = [Int](repeating: 0, count: labels.count)
        var next = 0
        for members in byClass(labels) {
            var m = members
            m.shuffle(using: &rng)
            for i in m { fold[i] = next % folds; next += 1 }
        }
        return fold
    }

    /// At most `perClass` of `cells` (dataset indices) per class, drawn with `seed`; classes with fewer keep
    /// all they have. The result is sorted; cells outside `cells` are never touched.
    public static func subsample(_ cells: [Int], labels: [Int], perClass: Int, seed: UInt64) -> [Int] {
        var rng = SeededGenerator(seed: seed)
        var byClass = [Int: [Int]]()
        for c in cells { byClass[labels[c], default: []].append(c) }
        var kept = [Int]()
        for label in byClass.keys.sorted() {
            var members = byClass[label]!
            members.shuffle(using: &rng)
            kept += members.prefix(max(0, perClass))
        }
        return kept.sorted()
    }

    static func byClass(_ labels: [Int]) -> [[Int]] {
        let c = (labels.max() ?? -1) + 1
        var groups = [[Int]](repeating: [], count: c)
        for (i, l) in labels.enumerated() { groups[l].append(i) }
        return groups.filter { !$0.isEmpty }
    }
}
