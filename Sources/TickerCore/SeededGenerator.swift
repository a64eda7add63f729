import Foundation

/// A small, fast, seedable random number generator (xoshiro256**, seeded through SplitMix64).
///
/// The system generator cannot be seeded, and the feed must replay exactly for a given `--seed`.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    var stateWords: (UInt64, UInt64, UInt64, UInt64)
    var spareNormal: Double?

    public init(seed: UInt64) {
        var splitMix = seed
        func next() -> UInt64 {
            splitMix &+= 0x9E37_79B9_7F4A_7C15
            var z = splitMix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        stateWords = (next(), next(), next(), next())
    }

    public mutating func next() -> UInt64 {
        let result = ((stateWords.1 &* 5) << 7 | (stateWords.1 &* 5) >> 57) &* 9
        let t = stateWords.1 << 17
        stateWords.2 ^= stateWords.0
        stateWords.3 ^= stateWords.1
        stateWords.1 ^= stateWords.2
        stateWords.0 ^= stateWords.3
        stateWords.2 ^= t
        stateWords.3 = stateWords.3 << 45 | stateWords.3 >> 19
        return result
    }

    /// A uniform value in [0, 1).
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A standard normal value (Box-Muller; the second value of each pair is kept for the next call).
    public mutating func nextNormal() -> Double {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        var u1 = nextUnit()
        while u1 <= .ulpOfOne { u1 = nextUnit() }
        let u2 = nextUnit()
        let radius = (-2 * log(u1)).squareRoot()
        spareNormal = radius * sin(2 * .pi * u2)
        return radius * cos(2 * .pi * u2)
    }
}
