package org.fusekicdc.rsp.internal;

import java.util.function.Consumer;

import org.fusekicdc.rsp.WindowSpec;

/** What one window holds at a step: the store's events with time in {@code [start, end)}. */
record WindowView(WindowSpec spec, WindowStore store, long start, long end) {
    void forEach(Consumer<Event> action) {
        store.forEach(start, end, action);
    }
}
