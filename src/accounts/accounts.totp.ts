import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';

const ISSUER = 'StreakPets';
/** One 30-second step either side, for clock drift between phone and server. */
const TOLERANCE_SECONDS = 30;

/** A fresh base32 TOTP seed (160 bits), its otpauth:// URL and that URL as a QR-code data URL. */
export async function newTotpSecret(label: string): Promise<{ secret: string; otpauthUrl: string; qrDataUrl: string }> {
  const secret = generateSecret();
  const otpauthUrl = generateURI({ issuer: ISSUER, label, secret });
  const qrDataUrl = await QRCode.toDataURL(otpauthUrl);
  return { secret, otpauthUrl, qrDataUrl };
}

/**
 * Checks a 6-digit code; returns the accepted time step, or null. Steps at or before
 * lastStep are refused, so a code that was used once cannot be replayed.
 */
export async function checkTotp(secret: string, code: string, lastStep: number | null): Promise<number | null> {
  if (!/^\d{6}$/.test(code)) return null;
  try {
    const result = await verify({
      secret,
      token: code,
      epochTolerance: TOLERANCE_SECONDS,
      ...(lastStep !== null ? { afterTimeStep: lastStep } : {}),
    });
    return result.valid ? (result as { timeStep: number }).timeStep : null;
  } catch {
    return null;
  }
}
