package org.referralbackbone.example;

import com.goterl.lazysodium.LazySodiumJava;
import com.goterl.lazysodium.SodiumJava;
import com.goterl.lazysodium.interfaces.Box;
import java.util.Base64;

/**
 * libsodium sealed boxes ({@code crypto_box_seal}), keys as base64 text of 32 bytes
 * (CONTRACT.md, "Personal data").
 */
final class Sealing {
  private final LazySodiumJava sodium = new LazySodiumJava(new SodiumJava());

  /** A fresh inbox key pair: {public, private} as base64. */
  String[] keyPair() {
    byte[] publicKey = new byte[Box.PUBLICKEYBYTES];
    byte[] privateKey = new byte[Box.SECRETKEYBYTES];
    if (!sodium.cryptoBoxKeypair(publicKey, privateKey)) {
      throw new IllegalStateException("crypto_box_keypair failed");
    }
    return new String[] {text(publicKey), text(privateKey)};
  }

  /** {@code data} sealed to a public key: only its private half opens it. */
  byte[] seal(String publicKey, byte[] data) {
    byte[] sealed = new byte[Box.SEALBYTES + data.length];
    if (!sodium.cryptoBoxSeal(sealed, data, data.length, key(publicKey))) {
      throw new IllegalStateException("crypto_box_seal failed");
    }
    return sealed;
  }

  /** Opens what was sealed to this key pair. */
  byte[] open(String publicKey, String privateKey, byte[] sealed) {
    byte[] opened = new byte[sealed.length - Box.SEALBYTES];
    if (!sodium.cryptoBoxSealOpen(opened, sealed, sealed.length, key(publicKey), key(privateKey))) {
      throw new IllegalArgumentException("not_openable: damaged, or sealed to another key");
    }
    return opened;
  }

  private static byte[] key(String text) {
    byte[] raw = Base64.getDecoder().decode(text);
    if (raw.length != 32) {
      throw new IllegalArgumentException("bad_key: a key is 32 bytes");
    }
    return raw;
  }

  private static String text(byte[] raw) {
    return Base64.getEncoder().encodeToString(raw);
  }
}
