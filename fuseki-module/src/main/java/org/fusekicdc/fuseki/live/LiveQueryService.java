package org.fusekicdc.fuseki.live;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonObject;
import org.apache.jena.fuseki.main.FusekiServer;
import org.apache.jena.fuseki.servlets.ActionREST;
import org.apache.jena.fuseki.servlets.HttpAction;
import org.apache.jena.fuseki.servlets.ServletOps;
import org.apache.jena.sparql.core.Var;
import org.apache.jena.web.HttpSC;
import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.ServletContextRequest;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.util.FutureCallback;
import org.eclipse.jetty.websocket.core.WebSocketComponents;
import org.eclipse.jetty.websocket.core.exception.WebSocketException;
import org.eclipse.jetty.websocket.core.server.Handshaker;
import org.eclipse.jetty.websocket.core.server.WebSocketServerComponents;
import org.fusekicdc.fuseki.access.ReaderView;
import org.fusekicdc.core.internal.history.NetChange;
import org.fusekicdc.core.internal.log.VersionGoneException;
import org.fusekicdc.fuseki.config.LiveSettings;
import org.fusekicdc.fuseki.history.AsOf;
import org.fusekicdc.fuseki.http.ClientInput;
import org.fusekicdc.fuseki.runtime.DatasetRuntime;
import org.fusekicdc.fuseki.runtime.DatasetRuntimes;
import org.fusekicdc.fuseki.stream.EventStream;
import org.fusekicdc.live.LiveEvent;
import org.fusekicdc.live.LiveQueryEngine;
import org.fusekicdc.live.LiveQueryException;
import org.fusekicdc.live.LiveView;
import org.fusekicdc.live.Subscription;
import org.fusekicdc.rsp.ContinuousQuery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Live SPARQL queries over Server-Sent Events ({@code cdc:live}):
 * {@code GET ?query=...} (or a POST form) with {@code Accept: text/event-stream}.
 * <p>
 * Events, each with {@code id:} = the dataset version it reflects: {@code initial} (the whole
 * answer as SPARQL JSON results), {@code update} ({@code {"version", "additions", "deletions"}},
 * or {@code "boolean"} for ASK), {@code up-to-date} after the answer or resumed changes, and
 * {@code error}. A client reconnecting with {@code Last-Event-ID} gets the changes after that
 * version when still known, otherwise a fresh {@code initial} with {@code "resync": true}.
 * <p>
 * Queries are evaluated on the request user's view of the dataset ({@link ReaderView}) under
 * graph-level access control.
 * <p>
 * Connections are asynchronous and written without blocking ({@link EventStream}): no thread
 * waits for the first answer (a costly query's may take a while), a slow client holds no
 * thread, only its subscription's bounded queue, and one that takes nothing for
 * {@code cdc:slowReaderSeconds} is disconnected.
 * <p>
 * A GET with {@code Upgrade: websocket} opens a WebSocket instead, carrying any number of
 * subscriptions ({@link LiveWebSocket}).
 * <p>
 * A query with a window clause (RSP-QL: {@code REGISTER ...} or {@code FROM NAMED WINDOW ...}) is
 * a continuous query: its steps come as {@code step} events ({@link ContinuousQuerySse}).
 */
public class LiveQueryService extends ActionREST {
    private static final Logger LOG = LoggerFactory.getLogger(LiveQueryService.class);
    private static final String EVENT_STREAM = "text/event-stream";

    private static final Handshaker HANDSHAKER = Handshaker.newInstance();

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().daemon().name("cdc-live-heartbeat").factory());
    /** Open WebSockets, by dataset (its engine). */
    private final Map<LiveQueryEngine, WebSocketCounts> webSockets = new ConcurrentHashMap<>();

    @Override
    public void validate(HttpAction action) {}

    @Override
    protected void doGet(HttpAction action) {
        if ( isWebSocketHandshake(action.getRequest()) )
            upgrade(action);
        else
            subscribe(action);
    }

    @Override
    protected void doPost(HttpAction action) {
        subscribe(action);
    }

    @Override
    protected void doHead(HttpAction action) {
        action.setResponseStatus(HttpSC.OK_200);
    }

    @Override
    protected void doOptions(HttpAction action) {
        action.setResponseHeader("Allow", "GET, POST, HEAD, OPTIONS");
        action.setResponseStatus(HttpSC.OK_200);
    }

    @Override protected void doPut(HttpAction action)    { ServletOps.errorMethodNotAllowed("PUT"); }
    @Override protected void doDelete(HttpAction action) { ServletOps.errorMethodNotAllowed("DELETE"); }
    @Override protected void doPatch(HttpAction action)  { ServletOps.errorMethodNotAllowed("PATCH"); }

    private static boolean isWebSocketHandshake(HttpServletRequest req) {
        String upgrade = req.getHeader("Upgrade");
        return upgrade != null && upgrade.trim().equalsIgnoreCase("websocket");
    }

    /**
     * Make Jetty's WebSocket implementation available to the live endpoints of this server: its components
     * (buffers, extensions, executor) live with the servlet context. Called before the server starts.
     */
    public static void enableWebSockets(FusekiServer server) {
        WebSocketServerComponents.ensureWebSocketComponents(server.getJettyServer(),
                                                            ServletContextHandler.getServletContextHandler(server.getServletContext()));
    }

    /**
     * The WebSocket handshake (RFC 6455 section 4.2), after Fuseki's authentication and the origin check; Jetty
     * answers it and switches the connection to a {@link LiveWebSocket}. Subscriptions then come as messages.
     */
    private void upgrade(HttpAction action) {
        HttpServletRequest req = action.getRequest();
        String connectionHeader = req.getHeader("Connection");
        if ( connectionHeader == null || !connectionHeader.toLowerCase(java.util.Locale.ROOT).contains("upgrade") )
            ServletOps.errorBadRequest("A WebSocket handshake needs 'Connection: Upgrade', got " + connectionHeader);
        if ( !"13".equals(req.getHeader("Sec-WebSocket-Version")) ) {
            action.setResponseHeader("Sec-WebSocket-Version", "13");
            ServletOps.error(426, "Only WebSocket version 13 (RFC 6455) is supported, got Sec-WebSocket-Version: "
                                  + req.getHeader("Sec-WebSocket-Version"));
        }
        String key = req.getHeader("Sec-WebSocket-Key");
        if ( !isValidKey(key) )
            ServletOps.errorBadRequest("Sec-WebSocket-Key must be 16 bytes in base64, got " + key);
        ServletContextRequest jetty = ServletContextRequest.getServletContextRequest(req);
        if ( jetty == null || jetty.getConnectionMetaData().getHttpVersion() != HttpVersion.HTTP_1_1 )
            ServletOps.errorBadRequest("WebSocket handshakes are served over HTTP/1.1 only, got " + req.getProtocol());
        DatasetRuntime runtime = DatasetRuntimes.require(action, "live query");
        LiveView view = ReaderView.of(action).live();
        LiveQueryEngine engine = runtime.liveEngine();
        LiveSettings settings = runtime.liveSettings();
        String origin = req.getHeader("Origin");
        if ( !settings.allowedOrigins().allows(origin, req.getHeader("Host")) )
            ServletOps.errorForbidden("WebSocket handshake refused: a page from " + origin + " may not open live queries on this server"
                                      + " (it would subscribe with its visitors' credentials). If that site should, add its origin to"
                                      + " cdc:allowedOrigins (see docs/security.md).");
        WebSocketComponents components = webSocketComponents(req);
        LiveWebSocket socket = new LiveWebSocket(LiveReplay.starts(runtime, engine), runtime.versionWaits(), engine, runtime::continuousQueries, ReaderView.of(action).isAll(),
                                                 settings.engineConfig().maxPendingRows(), ClientInput.clientId(action), view, webSocketCounts(engine, settings),
                                                 components.getExecutor(), timer, settings.heartbeat().toMillis(), settings.slowReaderTimeout());
        // Jetty writes the 101 response and switches the connection once it is sent; the servlet waits for that.
        FutureCallback switched = new FutureCallback();
        boolean answered;
        try {
            answered = HANDSHAKER.upgradeRequest((request, response, callback) -> socket, jetty, jetty.getServletContextResponse(), switched,
                                                 components, null);
        } catch (WebSocketException ex) {
            ServletOps.errorBadRequest("WebSocket handshake refused: " + ex.getMessage());
            return;
        }
        if ( !answered )
            ServletOps.errorBadRequest("Not a WebSocket handshake: a GET over HTTP/1.1 with Upgrade: websocket, Connection: Upgrade,"
                                       + " Sec-WebSocket-Version: 13 and a Sec-WebSocket-Key");
        try {
            switched.block();
        } catch (IOException ex) {
            LOG.debug("Dataset '{}': live WebSocket handshake of {} not completed: {}", engine.dataset(), ClientInput.clientId(action), ex.toString());
        }
    }

    private static WebSocketComponents webSocketComponents(HttpServletRequest req) {
        try {
            return WebSocketServerComponents.getWebSocketComponents(ServletContextHandler.getServletContextHandler(req.getServletContext()));
        } catch (IllegalStateException ex) {
            ServletOps.errorOccurred("Live WebSockets are not set up on this server: the fuseki-cdc module sets them up before the server"
                                     + " starts (FusekiModule.serverBeforeStarting). Start the server with the module loaded, as Fuseki does"
                                     + " for jars in $FUSEKI_BASE/extra/.");
            return null;
        }
    }

    /** Whether a {@code Sec-WebSocket-Key} is what RFC 6455 asks for: 16 bytes, base64. */
    private static boolean isValidKey(String clientKey) {
        try {
            return clientKey != null && Base64.getDecoder().decode(clientKey.trim()).length == 16;
        } catch (IllegalArgumentException ex) {
            return false;
        }
    }

    private WebSocketCounts webSocketCounts(LiveQueryEngine engine, LiveSettings settings) {
        return webSockets.computeIfAbsent(engine, e -> new WebSocketCounts(e.dataset(), settings.engineConfig().maxSubscriptions(),
                                                                           settings.engineConfig().maxPerClient()));
    }

    private void subscribe(HttpAction action) {
        String accept = action.getRequest().getHeader("Accept");
        if ( accept == null || !accept.contains(EVENT_STREAM) )
            ServletOps.error(HttpSC.NOT_ACCEPTABLE_406, "Live queries are served as " + EVENT_STREAM + "; send Accept: " + EVENT_STREAM
                             + " (browsers' EventSource does). For a one-off answer use the dataset's query endpoint.");
        String query = action.getRequestParameter("query");
        if ( query == null || query.isBlank() )
            ServletOps.errorBadRequest("No query: give the live query as the 'query' parameter");
        for ( String p : LiveRefusals.GRAPH_PARAMETERS ) {
            if ( action.getRequestParameter(p) != null )
                ServletOps.errorBadRequest(LiveRefusals.graphParameterRefused(p));
        }
        DatasetRuntime runtime = DatasetRuntimes.require(action, "live query");
        if ( ContinuousQuery.isContinuous(query) ) {
            ContinuousQuerySse.subscribe(action, runtime, query, timer);
            return;
        }
        LiveView view = ReaderView.of(action).live();
        LiveQueryEngine engine = runtime.liveEngine();
        LiveSettings settings = runtime.liveSettings();
        long resumeAfter = resumeAfter(action);
        if ( resumeAfter >= 0 && AsOf.requested(action) )
            ServletOps.errorBadRequest("Give either Last-Event-ID (or since) to resume, or version (or Accept-Datetime) to start as of a version, not both:"
                                       + " a client resuming has the answer up to its last event already.");
        String client = ClientInput.clientId(action);
        CompletableFuture<Subscription> pending;
        LiveReplay replay = null;
        try {
            if ( AsOf.requested(action) ) {
                replay = LiveReplay.begin(action, runtime, engine, query);
                replay.awaitEngine();
            }
            pending = engine.subscribeAsync(query, client, resumeAfter, view);
        } catch (LiveQueryException ex) {
            ServletOps.error(refusal(action.getResponse(), ex), ex.getMessage());
            return;
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            ServletOps.error(HttpSC.SERVICE_UNAVAILABLE_503, "The server is stopping.");
            return;
        }
        LiveReplay asOf = replay;
        // No thread waits for the first answer; a request whose client left before it is abandoned.
        AsyncContext async = action.getRequest().startAsync();
        async.setTimeout(0);
        async.addListener(new AsyncListener() {
            @Override public void onComplete(AsyncEvent event) { pending.cancel(false); }
            @Override public void onTimeout(AsyncEvent event)  { pending.cancel(false); }
            @Override public void onError(AsyncEvent event)    { pending.cancel(false); }
            @Override public void onStartAsync(AsyncEvent event) {}
        });
        pending.whenComplete((sub, failure) -> {
            try {
                async.start(() -> answer(async, sub, failure, asOf, settings, engine, client));
            } catch (IllegalStateException ex) {
                // The request ended (the client left) just as the answer came.
                if ( sub != null )
                    sub.close();
            }
        });
    }

    /** The response's status for a refused request, with Retry-After when trying again may help. */
    private static int refusal(HttpServletResponse resp, LiveQueryException ex) {
        int status = LiveRefusals.status(ex.kind());
        if ( status == HttpSC.SERVICE_UNAVAILABLE_503 || status == 429 )
            resp.setHeader("Retry-After", "30");
        return status;
    }

    /** Start the event stream of {@code sub}, or answer why there is none. */
    private void answer(AsyncContext async, Subscription sub, Throwable failure, LiveReplay replay, LiveSettings settings, LiveQueryEngine engine,
                        String client) {
        String dataset = engine.dataset();
        HttpServletResponse resp = (HttpServletResponse)async.getResponse();
        Deque<LiveEvent> replayed = new ArrayDeque<>();
        if ( failure == null && replay != null ) {
            // The live subscription's first event is its whole answer: the replay leads up to exactly that version.
            LiveEvent first = sub.next();
            try {
                if ( first instanceof LiveEvent.Initial i )
                    replayed = replay.eventsUpTo(i.result());
                else if ( first != null )
                    replayed.add(first);
            } catch (VersionGoneException ex) {
                sub.close();
                resp.setHeader(AsOf.HDR_OLDEST, String.valueOf(ex.oldestAvailable()));
                refuse(async, resp, HttpSC.GONE_410, dataset + ": " + ex.getMessage() + " Subscribe as of a later version (see docs/history.md).");
                return;
            } catch (NetChange.TooManyChanges ex) {
                sub.close();
                refuse(async, resp, HttpSC.SERVICE_UNAVAILABLE_503, ex.getMessage());
                return;
            } catch (LiveQueryException ex) {
                sub.close();
                refuse(async, resp, refusal(resp, ex), ex.getMessage());
                return;
            }
            LOG.debug("Dataset '{}': live subscription {} of {} starts as of version {}, {} events replayed", dataset, sub.id(), client,
                      replay.version(), replayed.size());
        }
        if ( failure != null ) {
            Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
            if ( cause instanceof LiveQueryException ex ) {
                try {
                    resp.setStatus(refusal(resp, ex));
                    resp.setContentType("text/plain;charset=utf-8");
                    resp.getWriter().println(ex.getMessage());
                } catch (IOException | IllegalStateException e) {
                    LOG.debug("Dataset '{}': live client went away before its answer: {}", dataset, e.toString());
                }
            }
            completeQuietly(async);
            return;
        }
        resp.setStatus(HttpSC.OK_200);
        resp.setContentType(EVENT_STREAM);
        resp.setCharacterEncoding("UTF-8");
        resp.setHeader("Cache-Control", "no-cache");
        resp.setHeader("X-Accel-Buffering", "no");
        LiveEvents events = new LiveEvents(sub, replayed);
        EventStream stream;
        try {
            // Events are formatted and written on the thread that has them (engine, container, timer): cheap, never blocking.
            stream = EventStream.start(async, events, settings.heartbeat(), settings.slowReaderTimeout(), timer, Runnable::run,
                                       ending -> ended(engine, client, sub, events, ending));
        } catch (IOException | RuntimeException ex) {
            sub.close();
            completeQuietly(async);
            LOG.debug("Dataset '{}': live client went away at start: {}", dataset, ex.toString());
            return;
        }
        sub.onAvailable(stream::wake);
    }

    private static void refuse(AsyncContext async, HttpServletResponse resp, int status, String message) {
        try {
            resp.setStatus(status);
            resp.setContentType("text/plain;charset=utf-8");
            resp.getWriter().println(message);
        } catch (IOException | IllegalStateException e) {
            LOG.debug("Live client went away before its answer: {}", e.toString());
        }
        completeQuietly(async);
    }

    private static void completeQuietly(AsyncContext async) {
        try {
            async.complete();
        } catch (IllegalStateException ex) {
            // Already completed by the container.
        }
    }

    private static void ended(LiveQueryEngine engine, String client, Subscription sub, LiveEvents events, EventStream.Ending ending) {
        String dataset = engine.dataset();
        sub.close();
        if ( ending.slowReader() ) {
            engine.clientDropped();
            LOG.info("Dataset '{}': live subscription {} of {} disconnected, sent up to version {}: the client {} (cdc:slowReaderSeconds)",
                     dataset, sub.id(), client, events.lastVersion, ending.reason());
        } else
            LOG.debug("Dataset '{}': live subscription {} ended: {}", dataset, sub.id(), ending.reason());
    }

    private static long resumeAfter(HttpAction action) {
        String last = action.getRequest().getHeader("Last-Event-ID");
        if ( last == null )
            last = action.getRequestParameter("since");
        if ( last == null || last.isBlank() )
            return -1;
        try {
            long v = Long.parseLong(last.trim());
            if ( v >= 0 )
                return v;
        } catch (NumberFormatException ex) {
            // Reported below.
        }
        ServletOps.errorBadRequest("Last-Event-ID (or since) must be a dataset version (a whole number, 0 or more), got " + ClientInput.quote(last));
        return -1;
    }

    /** A subscription's events as Server-Sent Events. */
    private static final class LiveEvents implements EventStream.Source {
        private final Subscription sub;
        // Events replayed from an earlier version, sent before the subscription's own.
        private final Deque<LiveEvent> replayed;
        private List<Var> vars = List.of();
        private volatile long lastVersion = -1;

        LiveEvents(Subscription sub, Deque<LiveEvent> replayed) {
            this.sub = sub;
            this.replayed = replayed;
        }

        /** Events are taken from the subscription only as the client takes them: a slow client's backlog stays in its bounded queue. */
        @Override
        public byte[] next() {
            synchronized (replayed) {
                LiveEvent r = replayed.pollFirst();
                if ( r != null )
                    // The last one reaches the live version: the client is up to date after it.
                    return (replayed.isEmpty() ? formatReplayed(r) + upToDate(r.version()) : formatReplayed(r)).getBytes(StandardCharsets.UTF_8);
            }
            LiveEvent e = sub.next();
            return e == null ? null : format(e).getBytes(StandardCharsets.UTF_8);
        }

        /** A replayed event, without up-to-date: the client is not at the live version before the last one. */
        private String formatReplayed(LiveEvent e) {
            lastVersion = e.version();
            return switch (e) {
                case LiveEvent.Initial i -> {
                    vars = i.result().vars();
                    yield event(i.version(), "initial", LiveJson.initial(i.result(), false));
                }
                case LiveEvent.Update u -> event(u.version(), "update", LiveJson.update(u.delta(), vars));
                case LiveEvent.Error err -> format(err);
            };
        }

        /** Closed by an error event or an administrator. */
        @Override
        public boolean ended() {
            return sub.isClosed();
        }

        private String format(LiveEvent e) {
            lastVersion = e.version();
            return switch (e) {
                case LiveEvent.Initial i -> {
                    vars = i.result().vars();
                    yield event(i.version(), "initial", LiveJson.initial(i.result(), i.resync())) + upToDate(i.version());
                }
                case LiveEvent.Update u -> event(u.version(), "update", LiveJson.update(u.delta(), vars))
                                           + (u.delta().isEmpty() ? upToDate(u.version()) : "");
                case LiveEvent.Error err -> {
                    sub.close();
                    yield event(err.version(), "error", LiveJson.error(err.version(), err.message()));
                }
            };
        }

        private static String upToDate(long version) {
            return "id: " + version + "\nevent: up-to-date\ndata: {\"version\":" + version + "}\n\n";
        }

        private static String event(long version, String name, JsonObject data) {
            return "id: " + version + "\nevent: " + name + "\ndata: " + JSON.toStringFlat(data) + "\n\n";
        }
    }
}
