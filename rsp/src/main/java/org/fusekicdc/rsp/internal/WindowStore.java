package org.fusekicdc.rsp.internal;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The events a window holds, ordered by time (then arrival). Time windows read a time range
 * and drop what no later window can contain; count windows keep the newest n; a session
 * window holds its open session.
 */
final class WindowStore {
    private final NavigableMap<Long, List<Event>> byTime = new TreeMap<>();
    private long size;
    /** The list of the time added to last: a commit's events share their time, so most adds skip the tree. */
    private List<Event> last;
    private long lastTime;

    void add(Event e) {
        if ( last == null || e.time() != lastTime ) {
            last = byTime.computeIfAbsent(e.time(), t -> new ArrayList<>(16));
            lastTime = e.time();
        }
        last.add(e);
        size++;
    }

    /** Add events that share their time; the store keeps the list (the caller hands it over). */
    void addAll(long time, ArrayList<Event> events) {
        if ( events.isEmpty() )
            return;
        List<Event> held = byTime.putIfAbsent(time, events);
        if ( held != null )
            held.addAll(events);
        size += events.size();
    }

    long size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** Every event with time in {@code [start, end)}, in time order. */
    void forEach(long start, long end, Consumer<Event> action) {
        for ( List<Event> l : byTime.subMap(start, true, end, false).values() )
            l.forEach(action);
    }

    void forEach(Consumer<Event> action) {
        for ( List<Event> l : byTime.values() )
            l.forEach(action);
    }

    /** Drop events older than {@code time}. */
    void evictBefore(long time) {
        NavigableMap<Long, List<Event>> old = byTime.headMap(time, false);
        if ( old.isEmpty() )
            return;
        for ( List<Event> l : old.values() )
            size -= l.size();
        old.clear();
        last = null;
    }

    /** Keep only the newest {@code n} events. */
    void keepNewest(long n) {
        last = null;
        Iterator<Map.Entry<Long, List<Event>>> it = byTime.entrySet().iterator();
        while ( size > n && it.hasNext() ) {
            List<Event> l = it.next().getValue();
            int drop = (int)Math.min(l.size(), size - n);
            if ( drop == l.size() ) {
                it.remove();
            } else {
                l.subList(0, drop).clear();
            }
            size -= drop;
        }
    }

    /** Time of the oldest event; only when not empty. */
    long oldest() {
        return byTime.firstKey();
    }

    long newest() {
        return byTime.lastKey();
    }

    void clear() {
        byTime.clear();
        size = 0;
        last = null;
    }
}
