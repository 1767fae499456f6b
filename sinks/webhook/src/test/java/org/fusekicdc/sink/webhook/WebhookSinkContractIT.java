package org.fusekicdc.sink.webhook;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.fusekicdc.core.sink.SinkProvider;
import org.fusekicdc.core.sink.SinkState;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.core.testing.contract.SinkContract;
import org.junit.jupiter.api.AfterEach;

/**
 * The sink contract against a real HTTP receiver in this JVM that checks each request's
 * signature (401 when it does not verify) and answers 2xx; what it accepted, in order of
 * arrival, is what the destination holds. A body over {@code cdc:maxBodyBytes} is refused by
 * the sink; a receiver answering 413 refuses one for good.
 */
class WebhookSinkContractIT extends SinkContract {
    private static final String SECRET_VARIABLE = "HOOK_SECRET";
    private static final String SECRET = "contract-secret-\u00e9";
    private static final String WRONG_SECRET_VARIABLE = "WRONG_HOOK_SECRET";
    private static final String WRONG_SECRET = "wrong-secret";

    private final List<Receiver.Request> accepted = new ArrayList<>();
    private final Receiver receiver;
    private volatile int refuseOver = Integer.MAX_VALUE;

    WebhookSinkContractIT() throws Exception {
        receiver = new Receiver(this::answer);
    }

    private Receiver.Answer answer(Receiver.Request r, int n) {
        try {
            if ( !Receiver.verify(SECRET.getBytes(StandardCharsets.UTF_8), r.body(), r.header("cdc-signature")) )
                return Receiver.Answer.status(401);
        } catch (Exception ex) {
            throw new IllegalStateException(ex);
        }
        if ( r.body().length > refuseOver )
            return Receiver.Answer.status(413);
        synchronized (accepted) {
            accepted.add(r);
        }
        return Receiver.Answer.OK;
    }

    @AfterEach
    void stopReceiver() {
        receiver.close();
    }

    @Override
    protected SinkProvider provider() {
        return new WebhookSinkProvider(Map.of(SECRET_VARIABLE, SECRET, WRONG_SECRET_VARIABLE, WRONG_SECRET)::get);
    }

    @Override
    protected Map<String, String> options() {
        Map<String, String> o = new HashMap<>();
        o.put("url", receiver.url());
        o.put("secretEnv", SECRET_VARIABLE);
        o.put("backoffInitialMillis", "20");
        o.put("backoffMaxMillis", "200");
        return o;
    }

    @Override
    protected List<Delivered> read() {
        synchronized (accepted) {
            return accepted.stream().map(r -> new Delivered(r.version(), TestSupport.parsePatch(r.header("content-type"), r.body()))).toList();
        }
    }

    @Override
    protected WrongCredentials wrongCredentials() {
        Map<String, String> o = options();
        o.put("secretEnv", WRONG_SECRET_VARIABLE);
        return new WrongCredentials(o, "cdc:secretEnv", SinkState.PAUSED, WRONG_SECRET);
    }

    @Override
    protected Oversize oversize(int maxBytes) {
        Map<String, String> o = options();
        o.put("maxBodyBytes", Integer.toString(maxBytes));
        return new Oversize(OversizeRule.REFUSE, o);
    }

    @Override
    protected Map<String, String> refusingOptions(int maxBytes) {
        return options();
    }

    @Override
    protected void refuseMessagesOver(int maxBytes) {
        refuseOver = maxBytes;
    }

    @Override
    protected Map<Clause, String> optOuts() {
        Map<Clause, String> o = new EnumMap<>(Clause.class);
        o.put(Clause.ONCE_ACROSS_KILL, "a receiver cannot be asked what it holds: delivery is at-least-once, and a kill between a 2xx "
                                       + "and the cursor update sends that patch again; receivers deduplicate by cdc-id (docs/sinks.md)");
        o.put(Clause.IN_FLIGHT_FAILURE, "one request at a time per endpoint (several patches per request only with cdc:batchMaxPatches), retried inside"
                                        + " one delivery, and a receiver cannot be asked what it holds: no sends in flight to fail, and delivery is at-least-once");
        o.put(Clause.OUTAGE, "the sink retries inside one delivery (cdc:maxAttempts, honouring Retry-After), so the state stays RUNNING, and an "
                             + "outage longer than the attempts pauses the sink; WebhookSinkIT covers flaky, slow and absent receivers");
        return o;
    }
}
