package org.fusekicdc.core.testing;

import java.io.IOException;

/** Test support for child JVMs that a test kills and restarts. */
public final class ChildJvm {
    private ChildJvm() {}

    /**
     * Halt this JVM when the parent test process goes away (its end of our standard input
     * closes), so that no child outlives a crashed or interrupted test run.
     */
    public static void haltWhenParentExits() {
        Thread watchdog = new Thread(() -> {
            try {
                while ( System.in.read() >= 0 ) {
                    // Nothing is sent; reading only notices the end.
                }
            } catch (IOException ex) {
                // The parent's end is gone just the same.
            }
            Runtime.getRuntime().halt(3);
        }, "parent-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }
}
