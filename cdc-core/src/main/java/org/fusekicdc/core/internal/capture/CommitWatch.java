package org.fusekicdc.core.internal.capture;

import java.util.function.LongConsumer;

/**
 * Tells code running on a thread which version a commit on that same thread made, as it is
 * made: an HTTP write names the version it committed in its response, before the response is sent,
 * and waits for sinks that acknowledge writes on their destination. The watcher runs after the
 * store's commit and after the store's writer lock and the log's commit lock are released, on
 * the committing thread; what it throws reaches the code that called {@code commit()}.
 */
public final class CommitWatch {
    private static final ThreadLocal<LongConsumer> WATCHER = new ThreadLocal<>();

    private CommitWatch() {}

    /** Call {@code watcher} with the version of each change committed on this thread until {@link #stop()}. */
    public static void watch(LongConsumer watcher) {
        WATCHER.set(watcher);
    }

    public static void stop() {
        WATCHER.remove();
    }

    static void committed(long version) {
        LongConsumer w = WATCHER.get();
        if ( w != null )
            w.accept(version);
    }
}
