import CKernels
import Foundation
import Testing

/// The synthetic-data kernels (`synthetic.c`): each vectorised Box–Muller transform this CPU runs
/// (AVX2, AVX-512) gives the floats of the scalar transform on the C library's `log` and `cos`
/// bit for bit, and each vectorised teacher gives the scalar teacher's labels.
@Suite struct SyntheticDataKernelTests {
    /// The vectorised paths this CPU runs, narrowest first (none on a CPU without AVX2).
    static let vectorPaths: [Int32] = (0..<sg_normals_vector_supported()).map { $0 + 1 }

    /// Every path, the scalar one first.
    static let allPaths = [Int32(SG_NORMALS_SCALAR)] + vectorPaths

    /// `Float(√(−2 ln u1) · cos 2πu2)` as Swift computes it with Glibc's functions: the
    /// definition the kernels must reproduce.
    static func definition(_ u1: Double, _ u2: Double) -> Float {
        Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }

    /// The floats of the scalar kernel and of the path `vector` for the pairs, and how many the
    /// latter left to the library.
    static func boxMuller(_ u1: [Double], _ u2: [Double], vector path: Int32) -> (vector: [Float], scalar: [Float], libraryCalls: Int) {
        var vector = [Float](repeating: .nan, count: u1.count)
        var scalar = vector
        let calls = sg_box_muller(path, u1, u2, &vector, u1.count)
        #expect(sg_box_muller(Int32(SG_NORMALS_SCALAR), u1, u2, &scalar, u1.count) == u1.count)
        return (vector, scalar, calls)
    }

    /// This machine runs a vectorised path wherever it has AVX2, as every x86-64 CPU of the last
    /// decade does: a check that the fast path is not silently lost.
    @Test func aMachineWithAVX2RunsAVectorisedPath() throws {
        #if arch(x86_64)
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flags = Set(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? [])
        if flags.contains("avx2") && flags.contains("fma") {
            #expect(sg_normals_vector_supported() >= Int32(SG_NORMALS_AVX2))
        }
        if flags.contains("avx512f") && flags.contains("avx512dq") {
            #expect(sg_normals_vector_supported() == Int32(SG_NORMALS_AVX512))
        }
        #endif
    }

    /// Uniform pairs spread over every binade of u1, from 2⁻⁵³ to 1, with u2 uniform: any part of
    /// the logarithm's range that the polynomial got wrong by more than the kernel's 2⁻⁴⁰ guard
    /// would show as floats that differ.
    @Test(arguments: vectorPaths)
    func randomPairsInEveryBinadeGiveTheDefinitionsFloats(path: Int32) {
        var bits: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            bits &+= 0x9E37_79B9_7F4A_7C15
            var z = bits
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let count = 1 << 21
        var (u1, u2) = ([Double](), [Double]())
        u1.reserveCapacity(count)
        u2.reserveCapacity(count)
        for index in 0..<count {
            // Half the pairs as the generator draws them; half with u1 in binade 2^-(index % 54).
            let uniform = Double(next() >> 11) * 0x1.0p-53
            let binade = Double(sign: .plus, exponent: -(index % 54), significand: 1)
            u1.append(index % 2 == 0 ? 1 - uniform : Swift.max(0x1.0p-53, binade * (1 + uniform) / 2))
            u2.append(Double(next() >> 11) * 0x1.0p-53)
        }
        let (vector, scalar, calls) = Self.boxMuller(u1, u2, vector: path)
        let definition = zip(u1, u2).map { Self.definition($0, $1) }
        #expect(scalar.map(\.bitPattern) == definition.map(\.bitPattern))
        let differing = (0..<count).filter { vector[$0].bitPattern != definition[$0].bitPattern }
        #expect(differing.isEmpty, "first differing pairs: \(differing.prefix(5).map { (u1[$0], u2[$0], vector[$0], definition[$0]) })")
        // The library is the exception: u1 within 2⁻¹⁰ of 1 is a 2⁻¹¹ of the pairs here.
        #expect(calls < count / 200, "the library computed \(calls) of \(count)")
        #expect(calls > 0)
    }

    /// Edge pairs: u1 = 1 (a zero), u1 at the top and bottom of its range and around √½ and
    /// ½ (where the logarithm's reduction switches), u2 at and around the quarters (cosine's
    /// zeros and ±1) and the eighths (where the quadrant switches).
    @Test(arguments: vectorPaths)
    func edgePairsGiveTheDefinitionsFloats(path: Int32) {
        let ulp = 0x1.0p-53
        var firsts: [Double] = [1, 1 - ulp, 1 - 2 * ulp, 1 - 0x1.0p-10, 1 - 0x1.0p-10 - ulp, 1 - 0x1.0p-10 + ulp, 0.75, 0.5, 0.5 + ulp,
                                0.5 - ulp / 2, 0x1.0p-53, 0x1.0p-52, 3 * 0x1.0p-53, 0x1.0p-26, 1e-10]
        let rootHalf = 0.5.squareRoot()
        firsts += [rootHalf, rootHalf.nextUp, rootHalf.nextDown, rootHalf / 2, (rootHalf / 2).nextUp, (rootHalf / 2).nextDown]
        var seconds: [Double] = [0, ulp, 1 - ulp]
        for eighth in 1...7 {
            let center = Double(eighth) / 8
            for offset in [0, 1, -1, 2, -2, 1000, -1000, 1 << 20, -(1 << 20), 1 << 33, -(1 << 33)] as [Int64] {
                seconds.append(center + Double(offset) * ulp)
            }
        }
        var (u1, u2) = ([Double](), [Double]())
        for first in firsts {
            for second in seconds where (0..<1).contains(second) {
                u1.append(first)
                u2.append(second)
            }
        }
        let (vector, scalar, _) = Self.boxMuller(u1, u2, vector: path)
        let definition = zip(u1, u2).map { Self.definition($0, $1) }
        #expect(scalar.map(\.bitPattern) == definition.map(\.bitPattern))
        for index in u1.indices where vector[index].bitPattern != definition[index].bitPattern {
            Issue.record("u1 \(u1[index]), u2 \(u2[index]): \(vector[index]) against \(definition[index])")
        }
    }

    /// The lanes' fill: stream l's draws fill its share, on the vectorised and the scalar path
    /// alike, and each stream ends after its draws.
    @Test(arguments: [1, 15, 16, 17, 100])
    func laneFillEqualsEachStreamsScalarDraws(perLane: Int) {
        let lanes = Int(SG_NORMAL_LANES)
        var states = (0..<(4 * lanes)).map { UInt64($0 + 1) &* 0x9E37_79B9_7F4A_7C15 }
        let start = states
        var expected = [Float](repeating: 0, count: lanes * perLane)
        var expectedStates = start
        for lane in 0..<lanes {
            var s = Array(start[(4 * lane)..<(4 * lane + 4)])
            func next() -> UInt64 {
                let result = ((s[1] &* 5) << 7 | (s[1] &* 5) >> 57) &* 9
                let t = s[1] << 17
                s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t
                s[3] = s[3] << 45 | s[3] >> 19
                return result
            }
            for index in 0..<perLane {
                let u1 = 1 - Double(next() >> 11) * 0x1.0p-53
                let u2 = Double(next() >> 11) * 0x1.0p-53
                expected[lane * perLane + index] = 0.25 + 3 * Self.definition(u1, u2)
            }
            expectedStates.replaceSubrange((4 * lane)..<(4 * lane + 4), with: s)
        }
        for vector in Self.allPaths {
            states = start
            var out = [Float](repeating: .nan, count: lanes * perLane)
            sg_fill_normals(vector, &states, perLane, &out, 0.25, 3)
            #expect(out.map(\.bitPattern) == expected.map(\.bitPattern), "vector \(vector)")
            #expect(states == expectedStates, "vector \(vector)")
        }
    }

    /// Labels from the vectorised teacher equal the scalar teacher's and a plain Swift sum's,
    /// with exact ties (the first class wins), class counts across the kernel's blocks of 16,
    /// and row counts with partial tiles of eight and of four.
    @Test(arguments: [(1, 2, 1), (13, 10, 7), (64, 16, 31), (203, 17, 37), (9, 33, 5), (6, 12, 3), (7, 25, 9)])
    func vectorisedTeacherGivesTheScalarLabels(rows: Int, classes: Int, features: Int) {
        var seed: UInt64 = 77
        func small() -> Float {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int(seed >> 61)) - 3  // -3...4: many exact ties
        }
        let x = (0..<(rows * features)).map { _ in small() }
        let teacher = (0..<(features * classes)).map { _ in small() / 4 }
        let expected = (0..<rows).map { row in
            var scores = [Double](repeating: 0, count: classes)
            for j in 0..<features {
                for c in 0..<classes { scores[c] += Double(x[row * features + j]) * Double(teacher[j * classes + c]) }
            }
            var best = 0
            for c in 1..<classes where scores[c] > scores[best] { best = c }
            return best
        }
        var scratch = [Double](repeating: 0, count: sg_teacher_labels_scratch_count(features, classes))
        for vector in Self.allPaths {
            var labels = [Int](repeating: -1, count: rows)
            sg_teacher_labels(vector, x, rows, features, teacher, classes, &labels, &scratch)
            #expect(labels == expected, "vector \(vector)")
        }
    }

    /// Pairs whose defining double lies within 2⁻⁴⁴ of halfway between two floats (one exactly
    /// on it), found by searching hundreds of millions of draws: the polynomials cannot settle
    /// which way such a double rounds, so every one must go to the library, and come out as the
    /// definition's float.
    @Test(arguments: vectorPaths)
    func pairsNearAFloatRoundingBoundaryAreLeftToTheLibrary(path: Int32) {
        let pairs: [(Double, Double)] = [
            (0x1.efcc17773d30ap-2, 0x1.6e5fbda35d98cp-2), (0x1.a21d88a54ccfdp-1, 0x1.b99d086d7666bp-1),
            (0x1.25e508d64a38p-4, 0x1.521ddc7410cbp-1), (0x1.85d0133f22c09p-1, 0x1.ebe412848f32ap-1),
            (0x1.0811a808df5bp-4, 0x1.de5b019673bccp-2), (0x1.de05a9fbb77ep-5, 0x1.a2158573bfd0cp-3),
            (0x1.02622ee43548ep-1, 0x1.8d063b3cb84e3p-1), (0x1.441dc0a53f516p-2, 0x1.e515b9df2e6ap-1),
            (0x1.3ac4b2ca35d8ep-1, 0x1.e38e94e711fb2p-1), (0x1.7cc18e33811a3p-1, 0x1.af6eae600673cp-1),
            (0x1.7a9c7fd9c118cp-3, 0x1.bf51756335b94p-3), (0x1.c6c9ae8a2afd4p-2, 0x1.13d7a763b7a08p-3),
            (0x1.0cf64e0ebca1p-1, 0x1.b0ddc23359eedp-1), (0x1.1294430751e94p-1, 0x1.10d8ed909d027p-1),
            (0x1.21bfe5802309ap-2, 0x1.548bff0b6e52ap-2), (0x1.cd8ecf71712fep-2, 0x1.bedf11e2ca6d8p-2),
            // Within 2⁻⁵⁰, and (the second) exactly halfway.
            (0x1.37e351e77eap-1, 0x1.f25fdb0efc14ap-2), (0x1.0ef92d9c9a89p-5, 0x1.89b3f05632f0bp-1),
            (0x1.e11ff72d86c46p-1, 0x1.b55d561303844p-2), (0x1.70328bc5ee65ep-2, 0x1.9b37eaf008be8p-3),
            (0x1.e051853fff339p-1, 0x1.13e24ab8440ap-5), (0x1.d18d710fc966p-5, 0x1.43c311ffe4844p-1),
            (0x1.f8f0c7615a5acp-3, 0x1.72ba65a615d39p-1), (0x1.21dec4d1bda0cp-2, 0x1.aa6361b89f3f3p-1),
        ]
        let (u1, u2) = (pairs.map(\.0), pairs.map(\.1))
        let (vector, _, calls) = Self.boxMuller(u1, u2, vector: path)
        #expect(vector.map(\.bitPattern) == zip(u1, u2).map { Self.definition($0, $1).bitPattern })
        #expect(calls == pairs.count)
    }

    /// Pairs whose double lies within a few ulps of ±2 (u1 = e^(−2/cos²(2πu2))): whether a
    /// truncated normal redraws them is the library's to decide, so the vectorised path must
    /// leave every one to it.
    @Test(arguments: vectorPaths)
    func pairsAtTheTruncationBoundAreLeftToTheLibrary(path: Int32) {
        var (u1, u2) = ([Double](), [Double]())
        for second in [0.1, 0.2, 0.3, 0.37, 0.45, 0.6, 0.7, 0.93] {
            let c = cos(2 * Double.pi * second)
            let first = exp(-2 / (c * c))
            for value in [first, first.nextUp, first.nextDown] {
                u1.append(value)
                u2.append(second)
            }
        }
        for (first, second) in zip(u1, u2) {
            let z = (-2 * log(first)).squareRoot() * cos(2 * Double.pi * second)
            #expect(abs(abs(z) - 2) < 0x1.0p-45, "u1 \(first), u2 \(second): \(z)")
        }
        let (vector, _, calls) = Self.boxMuller(u1, u2, vector: path)
        #expect(vector.map(\.bitPattern) == zip(u1, u2).map { Self.definition($0, $1).bitPattern })
        #expect(calls == u1.count)
    }

    /// Truncated normals on every path: the same floats, and the stream left at the same draw,
    /// for counts within one block of candidates and across several.
    @Test(arguments: [1, 63, 64, 65, 1000])
    func truncatedNormalsAreTheSameOnEveryPath(count: Int) {
        let start: [UInt64] = [0x0123_4567_89AB_CDEF, 0xDEAD_BEEF_F00D_CAFE, 42, 0x9E37_79B9_7F4A_7C15]
        var expected = [Float](repeating: .nan, count: count)
        var expectedState = start
        sg_truncated_normals(Int32(SG_NORMALS_SCALAR), &expectedState, count, &expected, -0.5, 2)
        #expect(expected.allSatisfy { abs($0 + 0.5) <= 4 })
        for path in Self.vectorPaths {
            var state = start
            var out = [Float](repeating: .nan, count: count)
            sg_truncated_normals(path, &state, count, &out, -0.5, 2)
            #expect(out.map(\.bitPattern) == expected.map(\.bitPattern), "path \(path)")
            #expect(state == expectedState, "path \(path)")
        }
    }
}
