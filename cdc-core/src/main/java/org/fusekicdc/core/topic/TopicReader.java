package org.fusekicdc.core.topic;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import org.fusekicdc.core.internal.follow.Follower;
import org.fusekicdc.core.wire.PatchReassembler;

/**
 * Where a follower reads its leader's patches: a Kafka topic, a JetStream subject. One reader
 * reads one leader dataset, in order; {@link Follower} checks versions and the id chain, so a
 * reader need not. After a failure the follower closes the reader and opens it again.
 */
public interface TopicReader extends AutoCloseable {
    /** Where patches come from, for status and error messages (topic, subject, servers). */
    String describe();

    /** Start reading; patches up to {@code afterVersion} are skipped. */
    void open(long afterVersion) throws Exception;

    /**
     * The next message, or empty if none arrived within {@code timeout}. With a zero timeout, a
     * message the reader holds already is returned without waiting: the follower gathers what is
     * waiting into one store transaction that way (a reader that returns empty at once only
     * loses that grouping).
     */
    Optional<Incoming> poll(Duration timeout) throws Exception;

    /**
     * After a poll that returned nothing: whether the broker answered that there is nothing
     * more to read yet (the reader is at the end of the topic), rather than not answering at
     * all. A follower counts only such polls, and polls that return a message, as hearing from
     * its topic: one that stops hearing from it says it is cut off and lets its lag grow. May ask
     * the broker, briefly. Readers that cannot tell answer true.
     */
    default boolean confirmedAtEnd() throws Exception {
        return true;
    }

    @Override
    void close();

    /** What a reader hands the follower. */
    sealed interface Incoming permits PatchMessage, ForeignMessage {}

    /**
     * A whole patch (parts put together); the caller closes it.
     *
     * @param position where its last message is (offset, stream sequence), for error messages
     */
    record PatchMessage(PatchReassembler.Patch patch, String position) implements Incoming {}

    /** A message on the topic that is not a fuseki-cdc patch, or a part that cannot be part of one. */
    record ForeignMessage(String position, Map<String, String> headers, byte[] value, String reason) implements Incoming {}
}
