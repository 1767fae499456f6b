package org.fusekicdc.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

import org.fusekicdc.live.LiveEvent;
import org.fusekicdc.live.LiveQueryEngine;
import org.fusekicdc.live.Subscription;

/**
 * The subscribers of {@link LiveQueryBench}: every query subscribed from 4 threads, and one
 * consumer thread draining every subscription's events as they become available, noting when
 * each update arrives.
 */
final class LiveBenchConsumer {
    final AtomicLong initials = new AtomicLong(), updates = new AtomicLong(), errors = new AtomicLong();
    private final LinkedBlockingQueue<Integer> ready = new LinkedBlockingQueue<>();
    private final Thread consumer;

    private LiveBenchConsumer(Subscription[] subs, AtomicIntegerArray queued, LiveLatencies latencies) {
        this.consumer = Thread.ofPlatform().daemon().name("bench-consumer").unstarted(() -> {
            try {
                while ( true ) {
                    int i = ready.take();
                    if ( i < 0 )
                        return;
                    queued.set(i, 0);
                    LiveEvent e;
                    while ( (e = subs[i].next()) != null ) {
                        long now = System.nanoTime();
                        switch (e) {
                            case LiveEvent.Initial in -> initials.incrementAndGet();
                            case LiveEvent.Update u -> {
                                updates.incrementAndGet();
                                latencies.received(i, u.version(), now);
                            }
                            case LiveEvent.Error er -> errors.incrementAndGet();
                        }
                    }
                }
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /** Subscribe every query, with the consumer running. */
    static LiveBenchConsumer subscribeAll(LiveQueryEngine engine, List<String> queries, LiveLatencies latencies) throws Exception {
        int nSubs = queries.size();
        Subscription[] subs = new Subscription[nSubs];
        AtomicIntegerArray queued = new AtomicIntegerArray(nSubs);
        LiveBenchConsumer c = new LiveBenchConsumer(subs, queued, latencies);
        c.consumer.start();
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<?>> fs = new ArrayList<>();
            for ( int t = 0 ; t < 4 ; t++ ) {
                int first = t;
                fs.add(pool.submit(() -> {
                    for ( int i = first ; i < nSubs ; i += 4 ) {
                        int idx = i;
                        subs[i] = engine.subscribe(queries.get(i), "bench", -1);
                        subs[i].onAvailable(() -> {
                            if ( queued.compareAndSet(idx, 0, 1) )
                                c.ready.add(idx);
                        });
                    }
                    return null;
                }));
            }
            for ( Future<?> f : fs )
                f.get();
        }
        return c;
    }

    void stop() throws InterruptedException {
        ready.add(-1);
        consumer.join(5000);
    }
}
