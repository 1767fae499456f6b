package org.fusekicdc.rsp.internal;

import org.apache.jena.graph.Triple;

/**
 * One quad event in a window: the quad (its graph name dropped: windows are graphs), its time
 * in milliseconds (commit time or event time) and the version of the commit that carried it.
 */
record Event(Triple triple, long time, long version) {}
