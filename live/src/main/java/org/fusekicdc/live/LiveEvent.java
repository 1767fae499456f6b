package org.fusekicdc.live;

/** What a subscriber receives, in order. Every event names the dataset version it reflects. */
public sealed interface LiveEvent {
    long version();

    /** The whole answer; {@code resync} when it replaces updates the subscriber could not get. */
    record Initial(LiveResult result, boolean resync) implements LiveEvent {
        @Override
        public long version() {
            return result.version();
        }
    }

    /** The answer changed. */
    record Update(LiveDelta delta) implements LiveEvent {
        @Override
        public long version() {
            return delta.version();
        }
    }

    /** The subscription is ended by the server, for the reason given. */
    record Error(long version, String message) implements LiveEvent {}
}
