package org.fusekicdc.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.fusekicdc.live.LiveEvent;
import org.fusekicdc.live.LiveQueryEngine;
import org.fusekicdc.live.LiveView;
import org.fusekicdc.live.Subscription;

/**
 * The costly queries of {@link LiveQueryBench}'s isolation scenario: COUNTs over two- and
 * three-way joins of the whole dataset (each about 100,000 solutions), re-evaluated whenever a
 * commit touches one of their predicates. Subscribed without waiting, drained by a thread of
 * their own, counted.
 */
final class CostlyLoad {
    private static final String PREFIX = "PREFIX : <http://example/>\n";

    private final LiveQueryEngine engine;
    private final List<String> queries = new ArrayList<>();
    private final List<CompletableFuture<Subscription>> subs = new ArrayList<>();
    private final AtomicLong initials = new AtomicLong(), updates = new AtomicLong(), errors = new AtomicLong();
    private final List<String> errorMessages = new ArrayList<>();
    private volatile boolean running = true;
    private Thread drainer;
    private long startNanos;
    private volatile long firstAnswersNanos;

    CostlyLoad(LiveQueryEngine engine, int n) {
        this.engine = engine;
        for ( int i = 0 ; i < n ; i++ ) {
            int a = 4 + i % 6, b = 4 + (i + 1) % 6;
            queries.add(PREFIX + (i % 2 == 0
                ? "SELECT (COUNT(*) AS ?n) { ?s :p_" + a + " ?x . ?s :p_" + b + " ?y }"
                : "SELECT (COUNT(*) AS ?n) { ?s :p_1 ?t . ?t :p_" + a + " ?x . ?t :p_" + b + " ?y }"));
        }
    }

    void start() {
        startNanos = System.nanoTime();
        for ( String q : queries )
            subs.add(engine.subscribeAsync(q, "bench-costly", -1, LiveView.ALL));
        drainer = Thread.ofPlatform().daemon().name("bench-costly-drain").start(this::drain);
    }

    private void drain() {
        try {
            while ( running ) {
                boolean allAnswered = true;
                for ( CompletableFuture<Subscription> f : subs ) {
                    if ( !f.isDone() ) {
                        allAnswered = false;
                        continue;
                    }
                    if ( f.isCompletedExceptionally() ) {
                        continue;
                    }
                    LiveEvent e;
                    while ( (e = f.join().next()) != null ) {
                        switch (e) {
                            case LiveEvent.Initial i -> initials.incrementAndGet();
                            case LiveEvent.Update u -> updates.incrementAndGet();
                            case LiveEvent.Error err -> {
                                errors.incrementAndGet();
                                synchronized (errorMessages) {
                                    errorMessages.add(err.message());
                                }
                            }
                        }
                    }
                }
                if ( allAnswered && firstAnswersNanos == 0 )
                    firstAnswersNanos = System.nanoTime() - startNanos;
                TimeUnit.MILLISECONDS.sleep(20);
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    void stop() throws InterruptedException {
        running = false;
        drainer.join(5000);
        for ( CompletableFuture<Subscription> f : subs ) {
            f.whenComplete((s, ex) -> {
                if ( s != null )
                    s.close();
            });
        }
    }

    List<String> queries() {
        return queries;
    }

    String summary() {
        long failed = subs.stream().filter(CompletableFuture::isCompletedExceptionally).count();
        return String.format(Locale.ROOT, "Costly queries: %d subscribed (%d refused), all first answers after %.1f s; %d initial, %d updates, %d errors%s",
                             queries.size(), failed, firstAnswersNanos / 1e9, initials.get(), updates.get(), errors.get(),
                             errorMessages.isEmpty() ? "" : " (" + errorMessages.get(0) + ")");
    }
}
