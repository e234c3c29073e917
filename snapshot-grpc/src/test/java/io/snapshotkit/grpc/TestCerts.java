package io.snapshotkit.grpc;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Self-signed certificates for tests, made by the JDK's keytool and written as PEM files (the
 * certificate, and the key in PKCS#8), so a self-signed certificate also serves as its own CA.
 */
final class TestCerts {
  private TestCerts() {}

  /** A certificate and its key as PEM files. */
  record Pem(Path certificate, Path privateKey) {}

  /** A new RSA certificate for {@code localhost} and {@code 127.0.0.1}, in {@code dir}. */
  static Pem create(Path dir, String name) {
    try {
      Files.createDirectories(dir);
      Path store = dir.resolve(name + ".p12");
      char[] password = "changeit".toCharArray();
      Process keytool = new ProcessBuilder(List.of(
          Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
          "-genkeypair", "-alias", name, "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
          "-dname", "CN=" + name, "-ext", "SAN=dns:localhost,ip:127.0.0.1",
          "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", new String(password)))
          .redirectErrorStream(true).start();
      String out = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!keytool.waitFor(60, TimeUnit.SECONDS) || keytool.exitValue() != 0) {
        throw new IllegalStateException("keytool failed: " + out);
      }
      KeyStore ks = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(store)) {
        ks.load(in, password);
      }
      Certificate cert = ks.getCertificate(name);
      PrivateKey key = (PrivateKey) ks.getKey(name, password);
      Path certFile = dir.resolve(name + ".crt");
      Path keyFile = dir.resolve(name + ".key");
      Files.writeString(certFile, pem("CERTIFICATE", cert.getEncoded()));
      Files.writeString(keyFile, pem("PRIVATE KEY", key.getEncoded()));
      return new Pem(certFile, keyFile);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }
}
