//! MSB-first bit writer/reader with zig-zag and exp-Golomb codes.

use crate::error::CodecError;

/// Zig-zag map: 0, -1, 1, -2, 2 … → 0, 1, 2, 3, 4 …
#[inline]
pub fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

/// Inverse of [`zigzag`].
#[inline]
pub fn unzigzag(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

/// Bits of the exp-Golomb code of order `k` for `u`.
#[inline]
pub fn exp_golomb_len(u: u64, k: u32) -> u32 {
    let m = u.saturating_add(1u64 << k);
    let nbits = 64 - m.leading_zeros();
    2 * nbits - k - 1
}

/// Most leading zeros an exp-Golomb code may have; bounds what a decoder accepts.
pub const MAX_EG_ZEROS: u32 = 40;
/// Largest exp-Golomb order used.
pub const MAX_EG_K: u32 = 15;

/// Appends bits to a byte vector (MSB first), flushing 32 bits at a time.
pub struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    acc: u64,
    /// Bits pending in the low end of `acc`; always < 32 between calls.
    n: u32,
}

impl<'a> BitWriter<'a> {
    /// Writes after the current end of `out`.
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        BitWriter { out, acc: 0, n: 0 }
    }

    /// Writes the low `bits` bits of `v` (bits ≤ 64).
    #[inline]
    pub fn write(&mut self, v: u64, bits: u32) {
        if bits > 32 {
            self.write_small(v >> 32, bits - 32);
            self.write_small(v & 0xffff_ffff, 32);
        } else {
            self.write_small(v, bits);
        }
    }

    #[inline(always)]
    fn write_small(&mut self, v: u64, bits: u32) {
        debug_assert!(bits <= 32);
        if bits == 0 {
            return;
        }
        self.acc = (self.acc << bits) | (v & ((1u64 << bits) - 1));
        self.n += bits;
        if self.n >= 32 {
            self.n -= 32;
            self.out
                .extend_from_slice(&((self.acc >> self.n) as u32).to_be_bytes());
        }
    }

    /// Writes one bit.
    #[inline]
    pub fn bit(&mut self, b: bool) {
        self.write_small(u64::from(b), 1);
    }

    /// Writes `u` as an exp-Golomb code of order `k` (k ≤ [`MAX_EG_K`], u < 2^40).
    #[inline]
    pub fn exp_golomb(&mut self, u: u64, k: u32) {
        let m = u + (1u64 << k);
        let nbits = 64 - m.leading_zeros();
        // `m` written in `zeros + nbits` bits is the zero prefix followed by `m`.
        let len = 2 * nbits - k - 1;
        if len <= 32 {
            self.write_small(m, len);
        } else {
            self.write(0, nbits - k - 1);
            self.write(m, nbits);
        }
    }

    /// Writes a signed value zig-zagged as exp-Golomb of order `k`.
    #[inline]
    pub fn signed(&mut self, v: i64, k: u32) {
        self.exp_golomb(zigzag(v), k);
    }

    /// Writes any `i64`: a 0 bit and the zig-zag exp-Golomb code of order `k` when it is below 2^32,
    /// otherwise a 1 bit and 64 raw bits.
    pub fn wide(&mut self, v: i64, k: u32) {
        let u = zigzag(v);
        if u < (1 << 32) {
            self.bit(false);
            self.exp_golomb(u, k);
        } else {
            self.bit(true);
            self.raw64(v as u64);
        }
    }

    /// Writes 64 raw bits.
    pub fn raw64(&mut self, v: u64) {
        self.write(v, 64);
    }

    /// Pads with zero bits to a byte boundary and flushes.
    pub fn finish(mut self) {
        let pad = (8 - self.n % 8) % 8;
        self.write_small(0, pad);
        while self.n >= 8 {
            self.n -= 8;
            self.out.push((self.acc >> self.n) as u8);
        }
    }
}

/// Reads bits from a byte slice.
pub struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
    acc: u64,
    n: u32,
}

impl<'a> BitReader<'a> {
    /// Reads `data` from its first bit.
    pub fn new(data: &'a [u8]) -> Self {
        BitReader {
            data,
            pos: 0,
            acc: 0,
            n: 0,
        }
    }

    #[inline]
    fn refill(&mut self) {
        while self.n <= 56 {
            let Some(&b) = self.data.get(self.pos) else {
                break;
            };
            self.acc |= u64::from(b) << (56 - self.n);
            self.n += 8;
            self.pos += 1;
        }
    }

    /// Reads `bits` bits (≤ 56).
    #[inline]
    pub fn read(&mut self, bits: u32) -> Result<u64, CodecError> {
        if bits == 0 {
            return Ok(0);
        }
        if self.n < bits {
            self.refill();
            if self.n < bits {
                return Err(CodecError::Truncated);
            }
        }
        let v = self.acc >> (64 - bits);
        self.acc <<= bits;
        self.n -= bits;
        Ok(v)
    }

    /// Reads one bit.
    #[inline]
    pub fn bit(&mut self) -> Result<bool, CodecError> {
        Ok(self.read(1)? == 1)
    }

    /// Reads an exp-Golomb code of order `k`.
    #[inline]
    pub fn exp_golomb(&mut self, k: u32) -> Result<u64, CodecError> {
        let mut zeros = 0u32;
        loop {
            if self.n < 32 {
                self.refill();
            }
            if self.n == 0 {
                return Err(CodecError::Truncated);
            }
            let lz = self.acc.leading_zeros().min(self.n);
            zeros += lz;
            self.acc = self.acc.checked_shl(lz).unwrap_or(0);
            self.n -= lz;
            if zeros > MAX_EG_ZEROS {
                return Err(CodecError::Malformed("exp-Golomb code too long"));
            }
            if self.n > 0 {
                break;
            }
        }
        let m = self.read(zeros + k + 1)?;
        Ok(m - (1u64 << k))
    }

    /// Reads a zig-zagged signed exp-Golomb code of order `k`.
    #[inline]
    pub fn signed(&mut self, k: u32) -> Result<i64, CodecError> {
        Ok(unzigzag(self.exp_golomb(k)?))
    }

    /// Reads a value written by [`BitWriter::wide`].
    pub fn wide(&mut self, k: u32) -> Result<i64, CodecError> {
        if self.bit()? {
            Ok(self.raw64()? as i64)
        } else {
            self.signed(k)
        }
    }

    /// Reads 64 raw bits.
    pub fn raw64(&mut self) -> Result<u64, CodecError> {
        let hi = self.read(32)?;
        let lo = self.read(32)?;
        Ok((hi << 32) | lo)
    }

    /// Whole bytes not yet touched by reads (padding bits of the current byte are not counted).
    pub fn unread_whole_bytes(&self) -> usize {
        (self.data.len() - self.pos) + (self.n / 8) as usize
    }

    /// Bits left to read.
    pub fn bits_left(&self) -> usize {
        (self.data.len() - self.pos) * 8 + self.n as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_golomb_round_trip_and_length() -> Result<(), CodecError> {
        let mut buf = Vec::new();
        let vals: Vec<(u64, u32)> = (0..200u64)
            .flat_map(|u| (0..6).map(move |k| (u * u * 37, k)))
            .collect();
        let mut w = BitWriter::new(&mut buf);
        let mut total = 0;
        for &(u, k) in &vals {
            w.exp_golomb(u, k);
            total += exp_golomb_len(u, k);
        }
        w.finish();
        assert_eq!(buf.len(), (total as usize).div_ceil(8));
        let mut r = BitReader::new(&buf);
        for &(u, k) in &vals {
            assert_eq!(r.exp_golomb(k)?, u);
        }
        Ok(())
    }

    #[test]
    fn zigzag_inverse() {
        for v in [
            0i64,
            1,
            -1,
            2,
            -2,
            i32::MAX as i64,
            i32::MIN as i64,
            1 << 40,
            -(1 << 40),
        ] {
            assert_eq!(unzigzag(zigzag(v)), v);
        }
        assert_eq!(zigzag(-1), 1);
        assert_eq!(zigzag(1), 2);
    }

    #[test]
    fn overlong_code_is_an_error_not_a_panic() {
        let zeros = [0u8; 16];
        assert!(matches!(
            BitReader::new(&zeros).exp_golomb(0),
            Err(CodecError::Malformed(_))
        ));
        assert!(matches!(
            BitReader::new(&[0u8, 0]).exp_golomb(0),
            Err(CodecError::Truncated)
        ));
    }
}
