package org.fusekicdc.live;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;

/**
 * One client's subscription to a live query: a bounded queue of events. Consecutive updates
 * are merged while the client is slow; when the merged changes exceed the bound, they are
 * dropped and the client gets a fresh answer flagged as a resync instead, so a slow client
 * never costs unbounded memory and never silently misses a change.
 */
public final class Subscription implements AutoCloseable {
    private final long id;
    private final String client;
    private final LiveQueryEngine engine;
    private final int maxPendingRows;
    private final Instant created;
    final LiveGroup group;
    private final Deque<LiveEvent> queue = new ArrayDeque<>();
    private boolean resync;
    private boolean closed;
    // Version of the last answer handed out whole: updates up to it are already in it.
    private long answeredVersion = -1;
    private Runnable onAvailable = () -> {};

    Subscription(long id, String client, LiveGroup group, LiveQueryEngine engine, int maxPendingRows, Instant created) {
        this.id = id;
        this.created = created;
        this.client = client;
        this.group = group;
        this.engine = engine;
        this.maxPendingRows = maxPendingRows;
    }

    public long id() {
        return id;
    }

    public String client() {
        return client;
    }

    /** When the client subscribed. */
    public Instant created() {
        return created;
    }

    /** The query as registered (normalised). */
    public String query() {
        return group.key();
    }

    /** Called (on the engine's thread) whenever an event becomes available. */
    public synchronized void onAvailable(Runnable r) {
        this.onAvailable = r;
        if ( !queue.isEmpty() || resync )
            r.run();
    }

    void offer(LiveEvent e) {
        Runnable notify;
        synchronized (this) {
            if ( closed )
                return;
            // While a resync is due, or for versions the last whole answer already covers, updates are redundant.
            if ( e instanceof LiveEvent.Update u && (resync || u.version() <= answeredVersion) )
                return;
            if ( e instanceof LiveEvent.Update u && queue.peekLast() instanceof LiveEvent.Update last ) {
                LiveDelta merged = last.delta().then(u.delta());
                queue.pollLast();
                if ( merged.additions().size() + merged.deletions().size() > maxPendingRows ) {
                    dropForResync();
                } else if ( !merged.isEmpty() )
                    queue.addLast(new LiveEvent.Update(merged));
            } else
                queue.addLast(e);
            if ( pendingRows() > maxPendingRows )
                dropForResync();
            notify = onAvailable;
            notifyAll();
        }
        notify.run();
    }

    private void dropForResync() {
        queue.removeIf(ev -> !(ev instanceof LiveEvent.Error));
        resync = true;
    }

    private int pendingRows() {
        int n = 0;
        for ( LiveEvent e : queue ) {
            if ( e instanceof LiveEvent.Update u )
                n += u.delta().additions().size() + u.delta().deletions().size();
            else if ( e instanceof LiveEvent.Initial i )
                n += i.result().rows().size();
        }
        return n;
    }

    /** The next event, or null when none arrives within the timeout or the subscription is closed. */
    public LiveEvent poll(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        synchronized (this) {
            while ( true ) {
                LiveEvent e = next();
                if ( e != null || closed )
                    return e;
                long wait = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if ( wait <= 0 )
                    return null;
                wait(wait);
            }
        }
    }

    /** The next event if one is waiting, without blocking. */
    public synchronized LiveEvent next() {
        if ( resync && queue.isEmpty() ) {
            resync = false;
            LiveResult current = engine.answer(group);
            answeredVersion = current.version();
            return new LiveEvent.Initial(current, true);
        }
        return queue.pollFirst();
    }

    public synchronized boolean isClosed() {
        return closed;
    }

    /** End the subscription; the query is dropped when it has no subscriber left. */
    @Override
    public void close() {
        if ( end() )
            engine.unsubscribe(this);
    }

    /** Mark the subscription closed (events already queued are still handed out); false if it was closed already. */
    boolean end() {
        return endWith(null);
    }

    /** {@link #end()}, with {@code last} (if not null) as the last event handed out. */
    boolean endWith(LiveEvent.Error last) {
        Runnable notify;
        synchronized (this) {
            if ( closed )
                return false;
            if ( last != null )
                queue.addLast(last);
            closed = true;
            notify = onAvailable;
            notifyAll();
        }
        notify.run();
        return true;
    }
}
