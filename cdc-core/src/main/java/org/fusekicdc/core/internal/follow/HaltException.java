package org.fusekicdc.core.internal.follow;

/** Stop following: a gap, a fork or a bad message that the configuration says halts. */
class HaltException extends Exception {
    HaltException(String message) {
        super(message);
    }
}
