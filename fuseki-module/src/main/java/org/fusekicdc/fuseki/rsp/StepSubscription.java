package org.fusekicdc.fuseki.rsp;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.apache.jena.atlas.json.JsonObject;
import org.fusekicdc.rsp.ContinuousQuery;
import org.fusekicdc.rsp.ContinuousQueryException;
import org.fusekicdc.rsp.LateEvent;
import org.fusekicdc.rsp.LateJson;
import org.fusekicdc.rsp.Step;
import org.fusekicdc.rsp.StepJson;
import org.fusekicdc.rsp.StepListener;

/**
 * One client's registration of a continuous query: its steps, and the events that came too late
 * for its windows, wait here, as JSON, until the client's connection takes them. The queue is
 * bounded: a client that lets {@code maxQueued} messages pile up is ended with a last error (it
 * would otherwise hold the server's memory), and can register again.
 */
public final class StepSubscription implements StepListener {
    /** What a client receives, in order. */
    public sealed interface Message {}

    /** A step, as {@link StepJson} writes it. */
    public record StepMessage(long step, long version, JsonObject json) implements Message {}

    /** The late events of one commit, as {@link LateJson} writes them. */
    public record LateMessage(long version, JsonObject json) implements Message {}

    /** The last message: why the subscription ended. */
    public record Failure(String message) implements Message {}

    private final String name;
    private final String client;
    private final ContinuousQuery query;
    private final int maxQueued;
    private final Consumer<StepSubscription> onClose;
    private final ConcurrentLinkedQueue<Message> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean failed;
    private volatile Runnable onAvailable = () -> {};

    StepSubscription(String name, String client, ContinuousQuery query, int maxQueued, Consumer<StepSubscription> onClose) {
        this.name = name;
        this.client = client;
        this.query = query;
        this.maxQueued = maxQueued;
        this.onClose = onClose;
    }

    /** The name the engine knows the query by. */
    public String name() {
        return name;
    }

    public String client() {
        return client;
    }

    public ContinuousQuery query() {
        return query;
    }

    /** Called (on any thread) whenever a message may be waiting. */
    public void onAvailable(Runnable r) {
        onAvailable = r;
        r.run();
    }

    /** The next message, or null when none waits. */
    public Message next() {
        Message m = queue.poll();
        if ( m != null )
            queued.decrementAndGet();
        return m;
    }

    /** Whether no message will follow: ended, and the last one taken. */
    public boolean isOver() {
        return failed && queue.isEmpty();
    }

    public boolean isClosed() {
        return closed.get();
    }

    @Override
    public void step(Step step) {
        offer(new StepMessage(step.number(), step.version(), StepJson.of(step)));
    }

    @Override
    public void late(List<LateEvent> events) {
        offer(new LateMessage(events.get(0).version(), LateJson.of(events)));
    }

    private void offer(Message m) {
        if ( failed )
            return;
        if ( queued.get() >= maxQueued ) {
            fail("The client took none of the last " + maxQueued + " messages; the query was ended to bound the server's memory. Register it again.");
            return;
        }
        queue.add(m);
        queued.incrementAndGet();
        onAvailable.run();
    }

    @Override
    public void failed(String queryName, ContinuousQueryException error) {
        fail(error.getMessage());
    }

    /** End the subscription with a last message saying why. */
    void fail(String message) {
        if ( failed )
            return;
        failed = true;
        queue.add(new Failure(message));
        queued.incrementAndGet();
        onAvailable.run();
        close();
    }

    /** The client left (or the subscription ended): the query is unregistered and the client's place given back. */
    public void close() {
        if ( closed.compareAndSet(false, true) )
            onClose.accept(this);
    }
}
