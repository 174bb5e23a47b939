package glm3.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import glm3.client.Options.UsageException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PEM keys as OpenSSL and Python write them, rewrapped as the PKCS#8 that Netty reads. */
class TlsTest {
  @Test
  void aPkcs1RsaKeyBecomesTheSamePkcs8AsJavasOwn() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    byte[] pkcs8 = generator.generateKeyPair().getPrivate().getEncoded();
    // PrivateKeyInfo: 30 82 LL LL, version 02 01 00, AlgorithmIdentifier 30 0d ..., OCTET STRING 04 82 LL LL
    assertEquals(0x04, pkcs8[22]);
    assertEquals((byte) 0x82, pkcs8[23]);
    byte[] pkcs1 = Arrays.copyOfRange(pkcs8, 26, pkcs8.length);

    assertArrayEquals(pkcs8, Tls.pkcs8(Tls.pem("RSA PRIVATE KEY", pkcs1), "rsa.key"));
    assertArrayEquals(pkcs8, Tls.pkcs8(Tls.pem("PRIVATE KEY", pkcs8), "pkcs8.key"));
  }

  @Test
  void aSec1EcKeyWithItsCurveBecomesPkcs8() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    ECPrivateKey key = (ECPrivateKey) generator.generateKeyPair().getPrivate();
    byte[] scalar = key.getS().toByteArray();
    if (scalar.length > 32) {
      scalar = Arrays.copyOfRange(scalar, scalar.length - 32, scalar.length);
    }
    byte[] padded = new byte[32];
    System.arraycopy(scalar, 0, padded, 32 - scalar.length, scalar.length);
    byte[] prime256v1 = {0x06, 0x08, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x03, 0x01, 0x07};
    // ECPrivateKey ::= SEQUENCE { 1, OCTET STRING d, [0] curve }: what `openssl ec` and trustme write
    byte[] sec1 = Tls.tlv(0x30, new byte[] {0x02, 0x01, 0x01}, Tls.tlv(0x04, padded), Tls.tlv(0xa0, prime256v1));

    PrivateKey parsed = Tls.privateKey(Tls.pkcs8(Tls.pem("EC PRIVATE KEY", sec1), "ec.key"), "ec.key");
    assertEquals(key.getS(), ((ECPrivateKey) parsed).getS());
  }

  @Test
  void filesWithoutTheRightPemAreUsageErrors(@TempDir Path dir) throws Exception {
    Path junk = Files.writeString(dir.resolve("junk.pem"), "not a certificate\n", StandardCharsets.US_ASCII);
    UsageException e = assertThrows(UsageException.class,
        () -> Tls.credentials(Options.parse(List.of("--ca", junk.toString()), Map.of())));
    assertEquals("--ca: no PEM certificate in " + junk, e.getMessage());

    Path missing = dir.resolve("missing-ca.pem");
    e = assertThrows(UsageException.class,
        () -> Tls.credentials(Options.parse(List.of("--ca", missing.toString()), Map.of())));
    assertTrue(e.getMessage().contains("missing-ca.pem"), e.getMessage());

    e = assertThrows(UsageException.class, () -> Tls.pkcs8("nothing here".getBytes(StandardCharsets.US_ASCII), "k"));
    assertEquals("--cert/--key: no PEM private key in k", e.getMessage());
  }
}
