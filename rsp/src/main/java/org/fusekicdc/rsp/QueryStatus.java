package org.fusekicdc.rsp;

/**
 * What a registered query has done so far.
 *
 * @param query         its name
 * @param steps         steps emitted
 * @param lateEvents    events refused as late
 * @param windowQuads   quad events held in its windows now
 * @param incremental   whether steps are computed incrementally (else re-evaluated over the window)
 * @param lastStep      number of the last step emitted, or -1
 */
public record QueryStatus(String query, long steps, long lateEvents, long windowQuads, boolean incremental, long lastStep) {}
