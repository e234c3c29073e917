package io.snapshotkit.contract;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.PrintWriter;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/** Runs {@link InMemoryOutboxContractTest}; exits non-zero unless its tests ran and all passed. */
public final class Run {
  private Run() {}

  /**
   * Runs the contract and prints JUnit's summary and failures.
   *
   * @param args none
   */
  public static void main(String[] args) {
    SummaryGeneratingListener listener = new SummaryGeneratingListener();
    LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request()
        .selectors(selectClass(InMemoryOutboxContractTest.class)).build(), listener);
    TestExecutionSummary summary = listener.getSummary();
    PrintWriter out = new PrintWriter(System.out, true);
    summary.printTo(out);
    summary.printFailuresTo(out, 5);
    boolean passed = summary.getTestsSucceededCount() > 0 && summary.getTotalFailureCount() == 0;
    out.println(passed ? "contract passed on the module path" : "contract FAILED on the module path");
    System.exit(passed ? 0 : 1);
  }
}
