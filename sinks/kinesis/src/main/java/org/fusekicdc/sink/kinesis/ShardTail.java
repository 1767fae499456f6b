package org.fusekicdc.sink.kinesis;

import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.fusekicdc.core.wire.PatchMessages;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.Shard;

/**
 * The end of the shard that holds a dataset's partition key, read when the sink opens (at start
 * and after every failure): which version of the dataset it holds last, so that a put whose
 * reply was lost, or a crash between a put and the cursor's write, does not publish a patch
 * twice. Kinesis cannot read backwards, so it reads forwards from a point in time, further back
 * each round (a minute, a quarter of an hour, ... the whole retention) until a round finds one
 * of the dataset's records: the stream may be shared with other datasets.
 */
final class ShardTail {
    private static final Logger LOG = LoggerFactory.getLogger(KinesisSink.class);
    private static final List<Duration> WINDOWS = List.of(Duration.ofMinutes(1), Duration.ofMinutes(15), Duration.ofHours(2), Duration.ofDays(1),
                                                          Duration.ofDays(8));
    /** GetRecords allows 5 calls a second per shard; throttled reads wait this long, then more. */
    private static final long READ_BACKOFF_MILLIS = 200;

    /**
     * The dataset's last record in the stream.
     *
     * @param version        the last whole patch's version: the last record's if it ends its patch, the one before otherwise
     * @param sequenceNumber the last record's sequence number, which the next put names as SequenceNumberForOrdering
     * @param shardId        the shard it is in
     */
    record Last(long version, String sequenceNumber, String shardId) {}

    private ShardTail() {}

    /** The dataset's last record, or null when the stream holds none (never did, or retention removed them). */
    static Last find(KinesisClient client, String stream, String dataset, Instant deadline) throws InterruptedException {
        BigInteger hash = KinesisStream.hashKey(dataset);
        List<Shard> shards = KinesisStream.shardsOf(client, stream, hash);
        // Newest shard first: after a reshard the parent holds the older records.
        for ( int i = shards.size() - 1 ; i >= 0 ; i-- ) {
            Shard shard = shards.get(i);
            for ( int w = 0 ; w <= WINDOWS.size() ; w++ ) {
                Instant from = w < WINDOWS.size() ? Instant.now().minus(WINDOWS.get(w)) : null;
                Last last = readToEnd(client, stream, shard.shardId(), dataset, from, deadline);
                if ( last != null )
                    return last;
            }
        }
        return null;
    }

    private static Last readToEnd(KinesisClient client, String stream, String shardId, String dataset, Instant from, Instant deadline)
            throws InterruptedException {
        String it = KinesisStream.iterator(client, stream, shardId, from);
        Last last = null;
        long backoff = READ_BACKOFF_MILLIS;
        while ( it != null ) {
            GetRecordsResponse r;
            String current = it;
            try {
                r = client.getRecords(b -> b.shardIterator(current));
            } catch (ProvisionedThroughputExceededException ex) {
                if ( Instant.now().isAfter(deadline) )
                    throw ex;
                Thread.sleep(backoff);
                backoff = Math.min(backoff * 2, 5_000);
                continue;
            }
            for ( Record rec : r.records() ) {
                if ( !dataset.equals(rec.partitionKey()) )
                    continue;
                byte[] data = rec.data().asByteArrayUnsafe();
                if ( !KinesisRecords.startsWithMagic(data) )
                    continue;
                KinesisRecords.Message m;
                try {
                    m = KinesisRecords.decode(data);
                    long version = Long.parseLong(m.headers().get(PatchMessages.VERSION));
                    int part = Integer.parseInt(m.headers().getOrDefault(PatchMessages.PART, "0"));
                    int parts = Integer.parseInt(m.headers().getOrDefault(PatchMessages.PARTS, "1"));
                    last = new Last(part == parts - 1 ? version : version - 1, rec.sequenceNumber(), shardId);
                } catch (IllegalArgumentException ex) {
                    LOG.debug("Dataset '{}': record {} in stream {} is not a patch record: {}", dataset, rec.sequenceNumber(), stream, ex.getMessage());
                }
            }
            if ( KinesisStream.atEnd(r) )
                break;
            it = r.nextShardIterator();
            if ( r.records().isEmpty() )
                Thread.sleep(READ_BACKOFF_MILLIS);
        }
        return last;
    }
}
