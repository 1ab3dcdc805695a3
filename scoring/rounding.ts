/**
 * Half-up rounding in decimal terms, as the published MGA figures are rounded (METHODOLOGY.md §3).
 *
 * Binary doubles cannot hold most decimals: 0.195 is stored as 0.19500000000000000666 but 1.005 as
 * 1.00499999999999989, and a mean computed as sum / n of 4-decimal values can land on
 * 0.19499999999999998 when the exact decimal mean is 0.195. Scaling by 10^d and calling Math.round
 * therefore rounds some halves down.
 *
 * Approach: read the value as a decimal with DECIMAL_SIGNIFICANT_DIGITS significant digits (via
 * toExponential), which removes the binary representation and accumulated floating-point error, and
 * round that digit string half away from zero with integer arithmetic on the digits. 12 digits (not
 * the 15-17 of a round trip) because a plainly summed mean of n values can be off by about n·2⁻⁵³
 * relative: 15 digits still misround about one in seven such means in a test of 4-decimal values.
 * The cost: a value within 5·10⁻¹³ (relative) of a half counts as that half, far below the resolution
 * of any mean of 4-decimal scores (at least 10⁻⁴/n away from a half when not on it).
 */
const DECIMAL_SIGNIFICANT_DIGITS = 12;
const MAX_DECIMALS = 20;

function checkDecimals(decimals: number): void {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > MAX_DECIMALS) {
    throw new RangeError(`decimals must be an integer from 0 to ${MAX_DECIMALS}, got ${decimals}`);
  }
}

/** `value` rounded half away from zero to `decimals` places, as a fixed-point string ("0.20", "-1.01", "3"). */
export function formatFixed(value: number, decimals: number): string {
  checkDecimals(decimals);
  if (!Number.isFinite(value)) throw new RangeError(`cannot round a non-finite number (${value})`);
  const [mantissa, exponentText] = Math.abs(value).toExponential(DECIMAL_SIGNIFICANT_DIGITS - 1).split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  // |value| ≈ 0.d1d2…d12 × 10^(exponent+1); keep the digits down to 10^-decimals.
  const keep = Number(exponentText) + 1 + decimals;
  let scaled: string; // |result| × 10^decimals, as an integer
  if (keep < 0) scaled = '0';
  else if (keep === 0) scaled = digits[0]! >= '5' ? '1' : '0';
  else if (keep >= digits.length) scaled = digits + '0'.repeat(keep - digits.length);
  else {
    scaled = digits.slice(0, keep);
    if (digits[keep]! >= '5') scaled = (BigInt(scaled) + 1n).toString();
  }
  scaled = scaled.padStart(decimals + 1, '0');
  const integerPart = scaled.slice(0, scaled.length - decimals).replace(/^0+(?=\d)/, '');
  const text = decimals > 0 ? `${integerPart}.${scaled.slice(scaled.length - decimals)}` : integerPart;
  return value < 0 && /[1-9]/.test(text) ? `-${text}` : text;
}

/** `value` rounded half away from zero to `decimals` places (0.195 → 0.2, 1.005 → 1.01, -0.125 → -0.13). */
export function roundHalfUp(value: number, decimals: number): number {
  return Number(formatFixed(value, decimals));
}
