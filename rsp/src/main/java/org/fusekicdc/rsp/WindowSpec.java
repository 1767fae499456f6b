package org.fusekicdc.rsp;

import java.time.Duration;

import org.apache.jena.graph.Node;

/**
 * One {@code FROM NAMED WINDOW <iri> ON <stream> [GRAPH <g>] [...]} clause.
 *
 * @param iri             the window's name, used by {@code WINDOW <iri> { ... }} blocks
 * @param stream          {@link RspVocab#ADDED} or {@link RspVocab#REMOVED}
 * @param graph           the only named graph whose quads enter the window, or null for all graphs
 * @param kind            time-based, count-based or session window
 * @param range           TIME: the window's length; COUNT and SESSION: null
 * @param step            TIME: how often the window reports (equal to range for a tumbling window); else null
 * @param rows            COUNT: the number of most recent quad events in the window; else 0
 * @param gap             SESSION: the silence that closes a session; else null
 * @param timeProperty    the property whose {@code xsd:dateTime} value on an event's subject gives its event time,
 *                        or null for the commit time
 * @param allowedLateness with a time property: how far behind the newest event time an event may arrive and
 *                        still count (the watermark is newest event time minus this); else {@link Duration#ZERO}
 */
public record WindowSpec(Node iri, Node stream, Node graph, Kind kind, Duration range, Duration step, long rows,
                         Duration gap, Node timeProperty, Duration allowedLateness) {
    /** The kinds of window. */
    public enum Kind {
        /** {@code [RANGE d STEP s]}: sliding (s < d) or tumbling (s = d, or STEP omitted). */
        TIME,
        /** {@code [ROWS n]}: the last n quad events, reported at each commit that adds to it. */
        COUNT,
        /** {@code [SESSION GAP d]}: events closer than d to each other, reported when the gap passes. */
        SESSION
    }

    /** Whether event time comes from a property of the data rather than the commit time. */
    public boolean eventTime() {
        return timeProperty != null;
    }

    /**
     * The window's content definition without its name: queries whose windows have the same
     * content key share one store of events.
     */
    public WindowSpec contentKey() {
        return new WindowSpec(null, stream, graph, kind, range, step, rows, gap, timeProperty, allowedLateness);
    }
}
