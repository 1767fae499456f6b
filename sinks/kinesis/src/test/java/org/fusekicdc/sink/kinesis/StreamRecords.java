package org.fusekicdc.sink.kinesis;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.core.testing.contract.SinkContract.Delivered;
import org.fusekicdc.core.wire.PatchMessages;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.Shard;

/** Everything a stream holds, read directly with the SDK, as a consumer without our reader would. */
final class StreamRecords {
    private StreamRecords() {}

    static KinesisClient client(LocalKinesis kinesis) {
        return KinesisStream.client(LocalKinesis.REGION, URI.create(kinesis.endpoint()), null, LocalKinesis.timeout());
    }

    /** Every record of the stream's shards for the partition key, in order; none if the stream does not exist. */
    static List<KinesisRecords.Message> readAll(LocalKinesis kinesis, String stream, String partitionKey) {
        List<KinesisRecords.Message> out = new ArrayList<>();
        try (KinesisClient c = client(kinesis)) {
            List<Shard> shards;
            try {
                shards = KinesisStream.shardsOf(c, stream, KinesisStream.hashKey(partitionKey));
            } catch (ResourceNotFoundException ex) {
                return out;
            }
            for ( Shard s : shards ) {
                String it = KinesisStream.iterator(c, stream, s.shardId(), null);
                while ( it != null ) {
                    String current = it;
                    GetRecordsResponse r = c.getRecords(b -> b.shardIterator(current));
                    for ( Record rec : r.records() )
                        if ( partitionKey.equals(rec.partitionKey()) )
                            out.add(KinesisRecords.decode(rec.data().asByteArray()));
                    if ( KinesisStream.atEnd(r) )
                        break;
                    it = r.nextShardIterator();
                }
            }
        }
        return out;
    }

    /** The patches the records hold, a split patch put back together; a run of parts a kill cut short is left out. */
    static List<Delivered> patches(List<KinesisRecords.Message> records) {
        List<Delivered> out = new ArrayList<>();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        long version = -1;
        int next = 0;
        for ( KinesisRecords.Message m : records ) {
            int part = Integer.parseInt(m.headers().get(PatchMessages.PART));
            long v = Long.parseLong(m.headers().get(PatchMessages.VERSION));
            if ( part == 0 ) {
                body.reset();
                version = v;
                next = 0;
            }
            if ( part != next || v != version )
                continue;
            body.writeBytes(m.value());
            next++;
            if ( next == Integer.parseInt(m.headers().get(PatchMessages.PARTS)) )
                out.add(new Delivered(version, TestSupport.parsePatch(m.headers().get(PatchMessages.CONTENT_TYPE), body.toByteArray())));
        }
        return out;
    }
}
