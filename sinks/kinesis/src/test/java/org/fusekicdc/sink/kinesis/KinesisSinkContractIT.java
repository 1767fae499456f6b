package org.fusekicdc.sink.kinesis;

import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import org.fusekicdc.core.sink.SinkProvider;
import org.fusekicdc.core.sink.SinkState;
import org.fusekicdc.core.testing.contract.SinkContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sink contract against kinesis-local (kinesis-mock: an implementation of the Kinesis API).
 * Wrong credentials go through {@link CredentialCheck}, since kinesis-local accepts any signature.
 * The outage clause is opted out of, with the reason, and kept by {@code KinesisOutageIT}
 * instead. Every clause puts records of at most
 * {@value #MAX_RECORD_BYTES} bytes, so the large patches are split and kills land in the middle of one.
 */
class KinesisSinkContractIT extends SinkContract {
    static final int MAX_RECORD_BYTES = 2048;
    /** The dataset every clause captures. */
    private static final String DATASET = "ds";
    private static final String ID_VARIABLE = "KINESIS_CONTRACT_ACCESS_KEY_ID";
    private static final String SECRET_VARIABLE = "KINESIS_CONTRACT_SECRET_ACCESS_KEY";
    private static final String WRONG_SECRET = "wrong-secret-" + LocalKinesis.uniqueStream("s");

    @TempDir
    static Path dataDir;
    private static LocalKinesis kinesis;

    private final String stream = LocalKinesis.uniqueStream("contract");
    private CredentialCheck check;

    @BeforeAll
    static void startKinesis() throws Exception {
        kinesis = new LocalKinesis(dataDir.resolve("kinesis-local"), false);
        kinesis.start();
    }

    @AfterAll
    static void stopKinesis() throws Exception {
        if ( kinesis != null )
            kinesis.close();
    }

    @AfterEach
    void stopCheck() {
        if ( check != null )
            check.close();
    }

    /** A provider whose environment holds wrong credentials, which only the wrong-credentials clause names. */
    @Override
    protected SinkProvider provider() {
        return new KinesisSinkProvider(Map.of(ID_VARIABLE, "not-a-known-key", SECRET_VARIABLE, WRONG_SECRET)::get);
    }

    @Override
    protected Map<String, String> options() {
        Map<String, String> o = kinesis.options(stream);
        o.put("maxRecordBytes", Integer.toString(MAX_RECORD_BYTES));
        return o;
    }

    @Override
    protected List<Delivered> read() {
        return StreamRecords.patches(StreamRecords.readAll(kinesis, stream, DATASET));
    }

    /**
     * The clause's writer commits a transaction every few milliseconds for the whole clause and
     * gives the sink 30 s to catch up: more than any sink that puts one record at a time can
     * follow. Kinesis allows no more (puts of one partition key keep their order only one at a
     * time, with SequenceNumberForOrdering; PutRecords may reorder on a partial failure), and
     * kinesis-local answers a put in several milliseconds at best.
     */
    @Override
    protected Map<Clause, String> optOuts() {
        Map<Clause, String> o = new EnumMap<>(Clause.class);
        o.put(Clause.OUTAGE, "the clause's writer (a transaction every 3 ms throughout) outpaces a sink that must put one record at a time"
                             + " to keep a shard's order; KinesisOutageIT cuts the network path and restarts the service itself, with a writer"
                             + " the sink can follow, and checks every version once, in order");
        o.put(Clause.IN_FLIGHT_FAILURE, "never more than one put in flight: each names the one before's sequence number"
                                        + " (SequenceNumberForOrdering), so several patches cannot be in flight; KinesisOutageIT cuts the"
                                        + " network path with a put in flight and checks every version once, in order");
        return o;
    }

    @Override
    protected WrongCredentials wrongCredentials() throws Exception {
        check = new CredentialCheck(kinesis.endpoint(), LocalKinesis.ACCESS_KEY_ID);
        Map<String, String> o = options();
        o.put("endpoint", check.endpoint());
        o.put("accessKeyIdEnv", ID_VARIABLE);
        o.put("secretAccessKeyEnv", SECRET_VARIABLE);
        return new WrongCredentials(o, "cdc:accessKeyIdEnv", SinkState.PAUSED, WRONG_SECRET);
    }

    @Override
    protected Oversize oversize(int maxBytes) {
        Map<String, String> o = options();
        o.put("maxRecordBytes", Integer.toString(maxBytes));
        return new Oversize(OversizeRule.SPLIT, o);
    }

    /** One record a patch at most: a patch that needs more is refused for good. */
    @Override
    protected Map<String, String> refusingOptions(int maxBytes) {
        Map<String, String> o = options();
        o.put("maxRecordBytes", Integer.toString(maxBytes));
        o.put("maxParts", "1");
        return o;
    }
}
