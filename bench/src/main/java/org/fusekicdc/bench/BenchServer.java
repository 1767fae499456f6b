package org.fusekicdc.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

import org.apache.jena.fuseki.main.cmds.FusekiServerUICmd;

import com.sun.management.GarbageCollectionNotificationInfo;

/**
 * A Fuseki server for the benchmarks, run in a child JVM by {@link CaptureOverheadBench}: exactly
 * what {@code ./fuseki-cdc} runs ({@link FusekiServerUICmd}, same arguments), plus a control
 * channel on stdin/stderr that reports the JVM's heap use.
 * <p>
 * Commands, one per line on stdin; each is answered by one line {@code BENCH:<command> ...} on
 * stderr (Fuseki logs to stdout):
 * <ul>
 * <li>{@code reset}: run a full GC, then reset the peak usage of every heap memory pool and the
 * largest heap seen after a GC. Answer: {@code BENCH:reset <heap used now>}.</li>
 * <li>{@code peak}: answer {@code BENCH:peak <sum of heap pools' peak used> <old generation peak
 * used> <largest heap used after a GC> <GCs since reset>}, all in bytes. The first is what the
 * benchmark reports; the others tell how much of it was live data rather than garbage not yet
 * collected.</li>
 * <li>{@code heap}: run a full GC and answer {@code BENCH:heap <heap used after it>} in bytes: one
 * sample of the live data, for a series over a long run.</li>
 * </ul>
 * End of stdin (the benchmark went away) stops the JVM.
 */
public final class BenchServer {
    private static final PrintStream REPLY = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true,
                                                             StandardCharsets.UTF_8);
    private static final AtomicLong MAX_AFTER_GC = new AtomicLong();
    private static final AtomicLong GCS = new AtomicLong();

    private BenchServer() {}

    public static void main(String... args) {
        watchGcs();
        Thread control = new Thread(BenchServer::control, "bench-control");
        control.setDaemon(true);
        control.start();
        FusekiServerUICmd.main(args);
    }

    private static void control() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ( (line = in.readLine()) != null ) {
                switch (line.trim()) {
                    case "reset" -> {
                        System.gc();
                        pause(300);  // let the GC's notification arrive before the reset
                        heapPools().forEach(MemoryPoolMXBean::resetPeakUsage);
                        MAX_AFTER_GC.set(0);
                        GCS.set(0);
                        long used = heapPools().stream().mapToLong(p -> p.getUsage().getUsed()).sum();
                        REPLY.println("BENCH:reset " + used);
                    }
                    case "heap" -> {
                        System.gc();
                        long used = heapPools().stream().mapToLong(p -> p.getUsage().getUsed()).sum();
                        REPLY.println("BENCH:heap " + used);
                    }
                    case "peak" -> {
                        long sum = 0;
                        long old = 0;
                        for ( MemoryPoolMXBean p : heapPools() ) {
                            long peak = p.getPeakUsage().getUsed();
                            sum += peak;
                            if ( p.getName().contains("Old") || p.getName().contains("Tenured") )
                                old = Math.max(old, peak);
                        }
                        REPLY.println("BENCH:peak " + sum + " " + old + " " + MAX_AFTER_GC.get() + " " + GCS.get());
                    }
                    case "" -> {}
                    default -> REPLY.println("BENCH:error unknown command " + line);
                }
            }
        } catch (IOException ex) {
            REPLY.println("BENCH:error " + ex);
        }
        // The benchmark is gone: do not outlive it.
        System.exit(0);
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    private static List<MemoryPoolMXBean> heapPools() {
        return ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP).toList();
    }

    /** Track the largest total heap use right after a collection: an upper bound of the live data. */
    private static void watchGcs() {
        for ( GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans() ) {
            if ( !(gc instanceof NotificationEmitter emitter) )
                continue;
            emitter.addNotificationListener((n, handback) -> {
                if ( !GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType()) )
                    return;
                GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from((CompositeData)n.getUserData());
                // G1 reports concurrent cycles too; only pauses that free memory are of interest, but all are harmless.
                long after = 0;
                for ( Map.Entry<String, MemoryUsage> e : info.getGcInfo().getMemoryUsageAfterGc().entrySet() ) {
                    if ( isHeapPool(e.getKey()) )
                        after += e.getValue().getUsed();
                }
                GCS.incrementAndGet();
                MAX_AFTER_GC.accumulateAndGet(after, Math::max);
            }, null, null);
        }
    }

    private static boolean isHeapPool(String name) {
        return heapPools().stream().anyMatch(p -> p.getName().equals(name));
    }
}
