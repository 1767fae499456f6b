package org.fusekicdc.core.internal.follow;

/** A gap, a fork or diverged data, with cdc:onGap "resync": load a new snapshot and follow on. */
final class ResyncNeeded extends HaltException {
    ResyncNeeded(String message) {
        super(message);
    }
}
