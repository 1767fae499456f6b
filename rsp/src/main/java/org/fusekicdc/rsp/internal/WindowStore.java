package org.fusekicdc.rsp.internal;

import java.util.Arrays;
import java.util.Iterator;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.function.Consumer;

import org.apache.jena.sparql.core.Quad;

/**
 * The events a window holds, ordered by time (then arrival). Time windows read a time range
 * and drop what no later window can contain; count windows keep the newest n; a session
 * window holds its open session.
 * <p>
 * Events are kept per time as arrays of quads and versions, not as objects: a large window
 * holds millions, and an object each would be one more memory access per event read and more
 * for the garbage collector to copy. Readers get an {@link Event} made as they go.
 */
final class WindowStore {
    /** The events of one time, in arrival order. */
    private static final class Bucket {
        Quad[] quads = new Quad[8];
        long[] versions = new long[8];
        int size;

        void add(Quad q, long version) {
            if ( size == quads.length ) {
                quads = Arrays.copyOf(quads, size * 2);
                versions = Arrays.copyOf(versions, size * 2);
            }
            quads[size] = q;
            versions[size] = version;
            size++;
        }

        /** Drop the oldest {@code n}. */
        void dropFirst(int n) {
            System.arraycopy(quads, n, quads, 0, size - n);
            System.arraycopy(versions, n, versions, 0, size - n);
            Arrays.fill(quads, size - n, size, null);
            size -= n;
        }

        void forEach(long time, Consumer<Event> action) {
            for ( int k = 0; k < size; k++ )
                action.accept(new Event(quads[k], time, versions[k]));
        }
    }

    /** Receives the events of one time in arrival order: the first {@code size} of {@code quads} and {@code versions}. */
    interface EventRun {
        void accept(long time, Quad[] quads, long[] versions, int size);
    }

    private final NavigableMap<Long, Bucket> byTime = new TreeMap<>();
    private long size;
    /** The bucket of the time added to last: a commit's events share their time, so most adds skip the tree. */
    private Bucket last;
    private long lastTime;

    void add(Event e) {
        add(e.time(), e.version(), e.quad());
    }

    void add(long time, long version, Quad q) {
        if ( last == null || time != lastTime ) {
            last = byTime.computeIfAbsent(time, t -> new Bucket());
            lastTime = time;
        }
        last.add(q, version);
        size++;
    }

    long size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** Every event with time in {@code [start, end)}, in time order. */
    void forEach(long start, long end, Consumer<Event> action) {
        for ( var e : byTime.subMap(start, true, end, false).entrySet() )
            e.getValue().forEach(e.getKey(), action);
    }

    /** The events with time in {@code [start, end)} a time at a time, in time order, without an object per event. */
    void forEachRun(long start, long end, EventRun action) {
        for ( var e : byTime.subMap(start, true, end, false).entrySet() )
            action.accept(e.getKey(), e.getValue().quads, e.getValue().versions, e.getValue().size);
    }

    void forEach(Consumer<Event> action) {
        for ( var e : byTime.entrySet() )
            e.getValue().forEach(e.getKey(), action);
    }

    /** Add the events from {@code time} on to {@code into}, an empty store. */
    void copyInto(WindowStore into, long time) {
        for ( var e : (time == Long.MAX_VALUE ? byTime : byTime.tailMap(time, true)).entrySet() ) {
            Bucket b = e.getValue();
            Bucket copy = new Bucket();
            copy.quads = Arrays.copyOf(b.quads, Math.max(b.size, 1));
            copy.versions = Arrays.copyOf(b.versions, Math.max(b.size, 1));
            copy.size = b.size;
            into.byTime.put(e.getKey(), copy);
            into.size += b.size;
        }
    }

    /** Drop events older than {@code time}. */
    void evictBefore(long time) {
        NavigableMap<Long, Bucket> old = byTime.headMap(time, false);
        if ( old.isEmpty() )
            return;
        for ( Bucket b : old.values() )
            size -= b.size;
        old.clear();
        last = null;
    }

    /** Keep only the newest {@code n} events. */
    void keepNewest(long n) {
        last = null;
        Iterator<Bucket> it = byTime.values().iterator();
        while ( size > n && it.hasNext() ) {
            Bucket b = it.next();
            int drop = (int)Math.min(b.size, size - n);
            if ( drop == b.size )
                it.remove();
            else
                b.dropFirst(drop);
            size -= drop;
        }
    }

    /** The lowest commit version among the events held, MAX when empty (a scan: event-time windows hold events out of version order). */
    long minVersion() {
        long min = Long.MAX_VALUE;
        for ( Bucket b : byTime.values() )
            for ( int k = 0; k < b.size; k++ )
                min = Math.min(min, b.versions[k]);
        return min;
    }

    /**
     * The time of the last event of the oldest run of events less than {@code gap} apart (a
     * session); only when not empty.
     */
    long lastBeforeGap(long gap) {
        long last = byTime.firstKey();
        for ( long t : byTime.keySet() ) {
            if ( t >= last + gap )
                break;
            last = t;
        }
        return last;
    }

    /** Time of the oldest event; only when not empty. */
    long oldest() {
        return byTime.firstKey();
    }

    long newest() {
        return byTime.lastKey();
    }
}
