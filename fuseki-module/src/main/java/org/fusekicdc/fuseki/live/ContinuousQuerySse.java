package org.fusekicdc.fuseki.live;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledExecutorService;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonObject;
import org.apache.jena.fuseki.servlets.HttpAction;
import org.apache.jena.fuseki.servlets.ServletOps;
import org.apache.jena.web.HttpSC;
import org.fusekicdc.fuseki.access.ReaderView;
import org.fusekicdc.fuseki.config.LiveSettings;
import org.fusekicdc.fuseki.history.AsOf;
import org.fusekicdc.fuseki.http.ClientInput;
import org.fusekicdc.fuseki.rsp.ContinuousQueries;
import org.fusekicdc.fuseki.rsp.StepSubscription;
import org.fusekicdc.fuseki.runtime.DatasetRuntime;
import org.fusekicdc.fuseki.stream.EventStream;
import org.fusekicdc.live.LiveQueryException;
import org.fusekicdc.rsp.ContinuousQueryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A continuous (RSP-QL) query sent to the live-query endpoint over Server-Sent Events: the
 * query is registered for this client (now, or as of an earlier version with {@code version=N}
 * or {@code Accept-Datetime}, replayed from the log) and each step comes as one event named {@code step}
 * ({@code id:} the step number, data as {@code StepJson} writes it), the events of a commit that
 * came too late for its windows as one event named {@code late} (data as {@code LateJson} writes
 * it); an {@code error} event
 * ends the stream when the query cannot go on. Closing the connection unregisters the query.
 */
final class ContinuousQuerySse {
    private static final Logger LOG = LoggerFactory.getLogger(ContinuousQuerySse.class);

    private ContinuousQuerySse() {}

    static void subscribe(HttpAction action, DatasetRuntime runtime, String query, ScheduledExecutorService timer) {
        if ( !ReaderView.of(action).isAll() )
            ServletOps.errorForbidden("Continuous queries read every graph of the dataset (their windows hold the changes to all of them),"
                                      + " and this user may read only some graphs; ask an administrator for read access to the whole dataset.");
        if ( action.getRequest().getHeader("Last-Event-ID") != null || action.getRequestParameter("since") != null )
            ServletOps.errorBadRequest("A continuous query cannot resume from Last-Event-ID or since: a registration starts at the current version,"
                                       + " or as of an earlier one with version=N (or Accept-Datetime). For steps that are never missed,"
                                       + " name the query in config.ttl (cdc:continuousQuery) and give it a sink.");
        ContinuousQueries.AsOfStart asOf = AsOf.requested(action) ? asOfStart(action, runtime) : null;
        LiveSettings settings = runtime.liveSettings();
        String client = ClientInput.clientId(action);
        StepSubscription sub;
        try {
            ContinuousQueries queries = runtime.continuousQueries();
            sub = queries.subscribe(query, client, settings.engineConfig().maxPendingRows(), asOf);
        } catch (ContinuousQueryException ex) {
            ServletOps.errorBadRequest("Bad continuous query: " + ex.getMessage());
            return;
        } catch (LiveQueryException ex) {
            int status = LiveRefusals.status(ex.kind());
            if ( status == HttpSC.SERVICE_UNAVAILABLE_503 || status == 429 )
                action.getResponse().setHeader("Retry-After", "30");
            ServletOps.error(status, ex.getMessage());
            return;
        }
        HttpServletResponse resp = action.getResponse();
        resp.setStatus(HttpSC.OK_200);
        resp.setContentType("text/event-stream");
        resp.setCharacterEncoding("UTF-8");
        resp.setHeader("Cache-Control", "no-cache");
        resp.setHeader("X-Accel-Buffering", "no");
        AsyncContext async = action.getRequest().startAsync();
        async.setTimeout(0);
        EventStream stream;
        try {
            stream = EventStream.start(async, new Steps(sub), settings.heartbeat(), settings.slowReaderTimeout(), timer, Runnable::run,
                                       ending -> {
                                           sub.close();
                                           LOG.debug("Dataset '{}': continuous query {} of {} ended: {}", runtime.name(), sub.name(), client, ending.reason());
                                       });
        } catch (IOException | RuntimeException ex) {
            sub.close();
            try {
                async.complete();
            } catch (IllegalStateException e) {
                // Completed by the container already.
            }
            return;
        }
        sub.onAvailable(stream::wake);
    }

    /**
     * The version a registration starts after, from {@code version=N} or {@code Accept-Datetime}
     * (the last version committed at or before it), named in the answer's headers as for as-of
     * reads; the error response when it is out of reach (the call does not return).
     */
    private static ContinuousQueries.AsOfStart asOfStart(HttpAction action, DatasetRuntime runtime) {
        AsOf.Target target = AsOf.requestedTarget(action, runtime);
        AsOf.nameVersion(action, target);
        return new ContinuousQueries.AsOfStart(target.version(), target.committed());
    }

    /** The subscription's messages as Server-Sent Events. */
    private record Steps(StepSubscription sub) implements EventStream.Source {
        @Override
        public byte[] next() {
            StepSubscription.Message m = sub.next();
            if ( m == null )
                return null;
            String text = switch (m) {
                case StepSubscription.StepMessage s -> "id: " + s.step() + "\nevent: step\ndata: " + JSON.toStringFlat(s.json()) + "\n\n";
                case StepSubscription.LateMessage l -> "event: late\ndata: " + JSON.toStringFlat(l.json()) + "\n\n";
                case StepSubscription.Failure f -> {
                    JsonObject o = new JsonObject();
                    o.put("message", f.message());
                    yield "event: error\ndata: " + JSON.toStringFlat(o) + "\n\n";
                }
            };
            return text.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public boolean ended() {
            return sub.isOver();
        }
    }
}
