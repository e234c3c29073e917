package io.snapshotkit.examples.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A Linux network namespace joined to this one by a veth pair on a /30 of its own, made with
 * {@code ip} (as root): a process started with {@link #launcher()} listens on {@link #address()},
 * which this namespace reaches through the pair. {@link #cut()} takes the namespace's end of the
 * link down, so packets to it vanish without an answer, as in a network partition; {@link #heal()}
 * brings it back with its route. {@link #close()} deletes the namespace and the pair.
 */
final class NetworkNamespace implements AutoCloseable {
  private final String name;
  private final String outside;
  private final String inside;
  private final String address;
  private boolean created;

  private NetworkNamespace(String name, String outside, String inside, String address) {
    this.name = name;
    this.outside = outside;
    this.inside = inside;
    this.address = address;
  }

  /**
   * Makes the namespace and its link, or aborts the test (skipped, saying why) where namespaces
   * cannot be made: not Linux, not root, no {@code ip}, or the kernel refuses.
   */
  static NetworkNamespace createOrSkip() {
    Assumptions.assumeTrue(System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux"),
        "network namespaces need Linux; this is " + System.getProperty("os.name"));
    Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
        "making a network namespace needs root (ip netns add); running as " + System.getProperty("user.name"));
    long pid = ProcessHandle.current().pid();
    int subnet = (int) (pid % 250);
    NetworkNamespace ns = new NetworkNamespace("skpart" + pid, "skpo" + pid, "skpi" + pid,
        "10.231." + subnet + ".2");
    Result made = run(List.of("ip", "netns", "add", ns.name));
    Assumptions.assumeTrue(made.status() == 0,
        "cannot make a network namespace here (ip netns add: " + made.output().strip() + ")");
    ns.created = true;
    try {
      ns.ip("link", "add", ns.outside, "type", "veth", "peer", "name", ns.inside);
      ns.ip("link", "set", ns.inside, "netns", ns.name);
      ns.ip("addr", "add", "10.231." + subnet + ".1/30", "dev", ns.outside);
      ns.ip("link", "set", ns.outside, "up");
      ns.inNamespace("addr", "add", ns.address + "/30", "dev", ns.inside);
      ns.inNamespace("link", "set", ns.inside, "up");
      ns.inNamespace("link", "set", "lo", "up");
      return ns;
    } catch (RuntimeException | Error e) {
      ns.close();
      throw e;
    }
  }

  /** The namespace side's address, where a process started with {@link #launcher()} can listen. */
  String address() {
    return address;
  }

  /** The command prefix that runs a program inside the namespace. */
  List<String> launcher() {
    return List.of("ip", "netns", "exec", name);
  }

  /** Takes the namespace's end of the link down: its route goes, and packets to it are lost unanswered. */
  void cut() {
    inNamespace("link", "set", inside, "down");
  }

  /** Brings the namespace's end of the link back up, and with it the route. */
  void heal() {
    inNamespace("link", "set", inside, "up");
  }

  /** Deletes the namespace (which deletes the veth pair); also after a failed setup. Idempotent. */
  @Override
  public void close() {
    if (created) {
      created = false;
      run(List.of("ip", "netns", "del", name));
      run(List.of("ip", "link", "del", outside));  // gone with the namespace, unless the move failed
    }
  }

  @Override
  public String toString() {
    return "network namespace " + name + " at " + address;
  }

  private void inNamespace(String... args) {
    List<String> cmd = new ArrayList<>(List.of("netns", "exec", name, "ip"));
    cmd.addAll(List.of(args));
    ip(cmd.toArray(String[]::new));
  }

  private void ip(String... args) {
    List<String> cmd = new ArrayList<>(List.of("ip"));
    cmd.addAll(List.of(args));
    Result r = run(cmd);
    if (r.status() != 0) {
      throw new AssertionError(String.join(" ", cmd) + " exited " + r.status() + ": " + r.output().strip());
    }
  }

  private record Result(int status, String output) {}

  private static Result run(List<String> cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new Result(-1, String.join(" ", cmd) + " did not finish within 20 s");
      }
      return new Result(p.exitValue(), output);
    } catch (IOException e) {
      return new Result(-1, String.join(" ", cmd) + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(-1, String.join(" ", cmd) + ": interrupted");
    }
  }
}
