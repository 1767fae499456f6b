package org.fusekicdc.core.internal.wire;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import org.fusekicdc.core.wire.MessageFormat;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchRecord;

/**
 * The messages of consecutive patches, with the bodies of later patches written ahead on other
 * threads while the sink hands over earlier ones. A sink whose format is not the change log's own
 * RDF Patch text (binary, JSON) spends most of a catch-up converting each patch, and converting
 * one patch does not depend on the one before; sending stays on the sink's thread, in order.
 * <p>
 * Memory is bounded: only patches whose log text fits one message are written ahead, and at most
 * {@link #AHEAD_BYTES} of their log text at a time. A patch that cannot be read from the log fails
 * when the sink takes its messages, in version order, as it would without converting ahead.
 * Not thread-safe: one sink thread takes the messages, in the order of the patches given.
 */
public final class MessagesAhead implements AutoCloseable {
    /** Log text of the patches being written ahead, at most. */
    static final long AHEAD_BYTES = 8L * 1024 * 1024;

    private static final ExecutorService CONVERTERS = Executors.newFixedThreadPool(Math.max(1, Runtime.getRuntime().availableProcessors() - 1), daemonThreads());

    private final MessageFormat format;
    private final Function<PatchRecord, Map<String, String>> extraHeaders;
    private final int maxBytes;
    private final Path tmpDir;
    private final long aheadBudget;
    private final ArrayDeque<PatchRecord> toStart;
    private final ArrayDeque<Ahead> started = new ArrayDeque<>();
    private long bytesAhead;

    private record Part(Map<String, String> headers, byte[] value) {}

    private record Ahead(PatchRecord patch, long bytes, CompletableFuture<List<Part>> parts) {}

    private MessagesAhead(MessageFormat format, List<PatchRecord> patches, Function<PatchRecord, Map<String, String>> extraHeaders, int maxBytes,
                          Path tmpDir, long aheadBudget) {
        this.format = format;
        this.aheadBudget = aheadBudget;
        this.extraHeaders = extraHeaders;
        this.maxBytes = maxBytes;
        this.tmpDir = tmpDir;
        // The log's own text needs no conversion, and a single patch has nothing to overlap with.
        this.toStart = format.isLogText() || patches.size() < 2 ? new ArrayDeque<>() : new ArrayDeque<>(patches);
    }

    /**
     * Start writing the bodies of {@code patches} ahead, in {@code format}, each message with
     * {@code extraHeaders} of its patch (computed on another thread: it must depend on the patch only).
     */
    public static MessagesAhead start(MessageFormat format, List<PatchRecord> patches, Function<PatchRecord, Map<String, String>> extraHeaders,
                                      int maxBytes, Path tmpDir) {
        return start(format, patches, extraHeaders, maxBytes, tmpDir, AHEAD_BYTES);
    }

    static MessagesAhead start(MessageFormat format, List<PatchRecord> patches, Function<PatchRecord, Map<String, String>> extraHeaders,
                               int maxBytes, Path tmpDir, long aheadBudget) {
        MessagesAhead ahead = new MessagesAhead(format, patches, extraHeaders, maxBytes, tmpDir, aheadBudget);
        ahead.startMore();
        return ahead;
    }

    /** Log text of the patches being written ahead now. */
    long bytesAhead() {
        return bytesAhead;
    }

    /**
     * Hand the messages of {@code patch}, the next of the patches given, to {@code consumer} in
     * order, as {@link MessageFormat#messages} does.
     *
     * @throws IOException when the patch cannot be read from the change log
     */
    public <E extends Exception> void messages(PatchRecord patch, PatchMessages.PartConsumer<E> consumer) throws IOException, E {
        while ( !toStart.isEmpty() && toStart.peekFirst().version() < patch.version() )
            toStart.pollFirst();
        while ( !started.isEmpty() && started.peekFirst().patch().version() < patch.version() )
            drop(started.pollFirst());
        Ahead next = started.peekFirst();
        if ( next == null || next.patch().version() != patch.version() ) {
            if ( !toStart.isEmpty() && toStart.peekFirst().version() == patch.version() )
                toStart.pollFirst();
            format.messages(patch, extraHeaders.apply(patch), maxBytes, tmpDir, consumer);
            startMore();
            return;
        }
        started.pollFirst();
        bytesAhead -= next.bytes();
        startMore();
        List<Part> parts;
        try {
            parts = next.parts().join();
        } catch (CompletionException ex) {
            if ( ex.getCause() instanceof UncheckedIOException io )
                throw io.getCause();
            if ( ex.getCause() instanceof RuntimeException re )
                throw re;
            throw ex;
        }
        for ( Part p : parts )
            consumer.accept(p.headers(), p.value());
    }

    private void startMore() {
        while ( !toStart.isEmpty() ) {
            PatchRecord patch = toStart.peekFirst();
            long bytes = patch.record().payloadLength();
            if ( bytes > maxBytes ) {
                // Its messages are written when the sink takes them, through a file if need be.
                toStart.pollFirst();
                continue;
            }
            if ( bytesAhead + bytes > aheadBudget && !started.isEmpty() )
                return;
            toStart.pollFirst();
            bytesAhead += bytes;
            started.addLast(new Ahead(patch, bytes, CompletableFuture.supplyAsync(() -> write(patch), CONVERTERS)));
        }
    }

    private List<Part> write(PatchRecord patch) {
        List<Part> parts = new ArrayList<>(1);
        try {
            format.messages(patch, extraHeaders.apply(patch), maxBytes, tmpDir, (headers, value) -> parts.add(new Part(headers, value)));
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return parts;
    }

    private void drop(Ahead ahead) {
        bytesAhead -= ahead.bytes();
        ahead.parts().cancel(false);
    }

    /** Stop writing ahead: bodies not taken are dropped. */
    @Override
    public void close() {
        toStart.clear();
        while ( !started.isEmpty() )
            drop(started.pollFirst());
        bytesAhead = 0;
    }

    private static ThreadFactory daemonThreads() {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "fuseki-cdc-convert-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
