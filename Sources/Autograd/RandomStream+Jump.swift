extension RandomStream {
    /// Moves the stream on by `draws` draws of ``next()`` without making them: afterwards it
    /// gives what it would have given after `draws` calls. Threads that each fill a different
    /// part of one long sequence of draws start from copies advanced to their part, so the
    /// sequence is the same whichever thread draws which part.
    ///
    /// xoshiro256**'s step is a linear map `M` of its 256 state bits over GF(2), with
    /// characteristic polynomial `p` of degree 256. By Cayley–Hamilton, `Mⁿ = r(M)` for
    /// `r(x) = xⁿ mod p(x)`, so the state `n` steps on is the sum (exclusive or) of the states
    /// `i` steps on for each `i` with a coefficient of `x^i` in `r`: 256 steps, whatever `n`
    /// (the method of the generator's authors' `jump()`, which is `n = 2¹²⁸`).
    ///
    /// - Complexity: O(log `draws`) polynomial products of 256 bits, and 256 steps.
    public mutating func advance(by draws: UInt64) {
        guard draws > 0 else { return }
        // A few steps cost less than the polynomial.
        if draws <= 256 {
            for _ in 0..<draws { _ = next() }
            return
        }
        advance(by: JumpPolynomial.power(of: draws))
    }

    /// Moves the stream on by the draws `jump` stands for: `r(M)` applied to the state.
    mutating func advance(by jump: JumpPolynomial) {
        var sum: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        for word in [jump.words.0, jump.words.1, jump.words.2, jump.words.3] {
            for bit in 0..<64 {
                if word & (1 << UInt64(bit)) != 0 {
                    sum.0 ^= state.0
                    sum.1 ^= state.1
                    sum.2 ^= state.2
                    sum.3 ^= state.3
                }
                _ = next()
            }
        }
        state = sum
    }

    /// This stream moved on by `draws` draws (see ``advance(by:)``).
    public func advanced(by draws: UInt64) -> RandomStream {
        var copy = self
        copy.advance(by: draws)
        return copy
    }
}

/// A polynomial over GF(2) of degree below 256, the coefficient of `x^(64w + b)` in bit `b` of
/// word `w`: a residue modulo xoshiro256's characteristic polynomial.
struct JumpPolynomial: Equatable, Sendable {
    var words: (UInt64, UInt64, UInt64, UInt64)

    static func == (a: JumpPolynomial, b: JumpPolynomial) -> Bool { a.words == b.words }

    /// The characteristic polynomial of xoshiro256's state step, without its leading `x²⁵⁶`:
    /// the minimal polynomial of the step's bit sequences (Berlekamp–Massey on 512 bits of
    /// one state bit). `x^(2¹²⁸)` and `x^(2¹⁹²)` modulo it are the published `JUMP` and
    /// `LONG_JUMP` constants of xoshiro256, which the tests check.
    static let characteristic = JumpPolynomial(words: (0x9d11_6f2b_b0f0_f001, 0x0280_002b_cefd_1a5e, 0x04b4_edcf_2625_9f85, 0x0003_c03c_3f3e_cb19))

    static let one = JumpPolynomial(words: (1, 0, 0, 0))

    /// This polynomial times `x`, modulo the characteristic polynomial.
    func timesX() -> JumpPolynomial {
        let carry = words.3 >> 63
        var shifted = JumpPolynomial(words: (
            words.0 << 1, words.1 << 1 | words.0 >> 63, words.2 << 1 | words.1 >> 63, words.3 << 1 | words.2 >> 63))
        if carry != 0 {
            let p = Self.characteristic.words
            shifted.words.0 ^= p.0
            shifted.words.1 ^= p.1
            shifted.words.2 ^= p.2
            shifted.words.3 ^= p.3
        }
        return shifted
    }

    /// The product of two residues, modulo the characteristic polynomial (Horner's rule over the
    /// bits of `other`, from the highest).
    func times(_ other: JumpPolynomial) -> JumpPolynomial {
        var product = JumpPolynomial(words: (0, 0, 0, 0))
        for word in [other.words.3, other.words.2, other.words.1, other.words.0] {
            for bit in stride(from: 63, through: 0, by: -1) {
                product = product.timesX()
                if word & (1 << UInt64(bit)) != 0 {
                    product.words.0 ^= words.0
                    product.words.1 ^= words.1
                    product.words.2 ^= words.2
                    product.words.3 ^= words.3
                }
            }
        }
        return product
    }

    /// `x^n` modulo the characteristic polynomial, by squaring and multiplying from `n`'s
    /// highest bit.
    static func power(of n: UInt64) -> JumpPolynomial {
        var result = one
        for bit in stride(from: 63 - n.leadingZeroBitCount, through: 0, by: -1) {
            result = result.times(result)
            if n & (1 << UInt64(bit)) != 0 { result = result.timesX() }
        }
        return result
    }
}
