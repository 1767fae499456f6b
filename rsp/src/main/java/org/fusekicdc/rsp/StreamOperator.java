package org.fusekicdc.rsp;

/** What a continuous query emits per step (RSP-QL, Dell'Aglio et al. 2014). */
public enum StreamOperator {
    /** The whole answer at each step. */
    RSTREAM,
    /** The answers present at this step and not at the previous one. */
    ISTREAM,
    /** The answers present at the previous step and gone at this one. */
    DSTREAM
}
