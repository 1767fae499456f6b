package org.fusekicdc.rsp;

import java.time.Instant;

import org.apache.jena.sparql.core.Quad;

/**
 * A quad event that arrived after the watermark had passed its event time: it enters no window.
 *
 * @param query     the query whose window refused it
 * @param window    that window's IRI
 * @param quad      the event
 * @param eventTime its event time
 * @param watermark the watermark when it arrived
 * @param version   the version of the commit that carried it
 */
public record LateEvent(String query, String window, Quad quad, Instant eventTime, Instant watermark, long version) {}
