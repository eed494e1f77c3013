using System;
using System.Collections.Generic;
using System.Text;
using System.Threading;

namespace Facecast.CoreTests
{
    /// <summary>The ZMTP implementation against real libzmq (pyzmq peers from peers.py).</summary>
    public static class ZmtpTests
    {
        static string Hex(string s) { return BitConverter.ToString(Encoding.ASCII.GetBytes(s)).Replace("-", "").ToLowerInvariant(); }

        internal static void WaitFor(Func<bool> cond, int timeoutMs, string what)
        {
            WaitFor(cond, timeoutMs, () => what);
        }

        /// <summary>Waits for cond; on timeout the message is built then, so counts in it are current.</summary>
        internal static void WaitFor(Func<bool> cond, int timeoutMs, Func<string> what)
        {
            int end = Environment.TickCount + timeoutMs;
            while (!cond())
            {
                if (Environment.TickCount - end > 0) throw new AssertionException("timed out waiting for " + what());
                Thread.Sleep(5);
            }
        }

        [Test]
        public static void SubReceivesFramesAndPosesOfItsSessionOnly()
        {
            using (var pub = PeerProcess.Peer("xpub"))
            {
                int port = pub.Port();
                // Control points at a closed port: this test is about data only.
                using (var conn = new FacecastConnection("tcp://127.0.0.1:1", "tcp://127.0.0.1:" + port))
                {
                    var ch = conn.Attach("npc-1", true);
                    pub.WaitLine("SUB 01" + Hex("frame/npc-1/"));
                    pub.WaitLine("SUB 01" + Hex("pose/npc-1/"));
                    pub.WaitLine("SUB 01" + Hex("status"));
                    Assert.True(conn.Data.Connection.PeerSocketType == "XPUB", "peer is an XPUB");
                    pub.Send("go");
                    pub.WaitLine("SENT");
                    WaitFor(() => ch.PosesReceived >= 31, 5000, () => "31 poses (got " + ch.PosesReceived + ")");
                    WaitFor(() => ch.FramesReceived >= 30, 5000, () => "30 frames (got " + ch.FramesReceived + ")");
                    Thread.Sleep(100);
                    Assert.Equal(30L, ch.FramesReceived, "frames of npc-1 only (npc-10 is filtered by the trailing slash)");
                    Assert.Equal(31L, ch.PosesReceived, "poses of npc-1 only");
                    Assert.Equal(0L, ch.FrameGaps, "no seq gaps");
                    Assert.Equal(1L, conn.DataErrors, "the garbage pose cost one message");
                    Assert.Contains("0xc1", conn.LastDataError, "error names the bad byte");

                    FrameSlot f;
                    Assert.True(ch.Frames.TryTake(out f), "a frame is waiting");
                    Assert.Equal(29UL, f.Seq, "latest frame");
                    Assert.Equal(64, f.Width, "width"); Assert.Equal(32, f.Height, "height");
                    Assert.Near(29 * 0.04, f.Pts, 1e-12, "pts");
                    // Bottom-up: first stored row is image row 31; pixel (x, y) = (x, y, seq, 255).
                    for (int y = 0; y < 32; y++)
                        for (int x = 0; x < 64; x += 7)
                        {
                            int o = ((31 - y) * 64 + x) * 4;
                            if (f.Pixels[o] != x || f.Pixels[o + 1] != y || f.Pixels[o + 2] != 29 || f.Pixels[o + 3] != 255)
                                throw new AssertionException("pixel " + x + "," + y + " is " + f.Pixels[o] + "," + f.Pixels[o + 1] + "," + f.Pixels[o + 2]);
                        }
                    PoseHeader p;
                    Assert.True(ch.Poses.TryTake(out p), "a pose is waiting");
                    Assert.Equal(999UL, p.Seq, "latest pose seq");
                    Assert.Equal(-7.5f, p.Motion.HeadYaw, "yaw");
                    Assert.Equal(0f, p.Motion.Blendshapes[17], "missing names read as rest");
                    Assert.True(conn.LatestStatus != null && conn.LatestStatus.Sessions[0].State == "speaking", "status arrived");
                }
            }
        }

        [Test]
        public static void SubReconnectsWithBackoffAndResubscribes()
        {
            int port;
            using (var conn = new FacecastConnection("tcp://127.0.0.1:1", "tcp://127.0.0.1:" + Loopback.FreePort()))
            {
                // Nobody is listening yet: the socket keeps retrying without failing.
                Thread.Sleep(300);
                Assert.True(!conn.Data.IsConnected, "not connected to nothing");
                Assert.True(conn.Data.LastError != null, "the failure is reported: " + conn.Data.LastError);
            }
            using (var first = PeerProcess.Peer("xpub"))
            {
                port = first.Port();
                using (var conn = new FacecastConnection("tcp://127.0.0.1:1", "tcp://127.0.0.1:" + port))
                {
                    var ch = conn.Attach("npc-1", true);
                    first.WaitLine("SUB 01" + Hex("frame/npc-1/"));
                    first.Kill();
                    WaitFor(() => !conn.Data.IsConnected, 3000, "the disconnect to be noticed");
                    using (var second = PeerProcess.Peer("xpub", "--port " + port))
                    {
                        second.Port();
                        second.WaitLine("SUB 01" + Hex("frame/npc-1/"), 10000);
                        second.WaitLine("SUB 01" + Hex("pose/npc-1/"), 10000);
                        Assert.True(conn.Data.Connects == 2, "one reconnect, got " + conn.Data.Connects);
                        second.Send("go");
                        second.WaitLine("SENT");
                        WaitFor(() => ch.FramesReceived == 30, 5000, "frames after the reconnect");
                    }
                }
            }
        }

        [Test]
        public static void AnIdleSubStaysConnectedOnPongsFromLibzmq()
        {
            // A PUB that publishes nothing: only our PINGs and libzmq's PONGs keep the link proven alive.
            using (var pub = PeerProcess.Peer("xpub"))
            {
                int port = pub.Port();
                var opts = new ZmtpOptions { HeartbeatIntervalMs = 200, HeartbeatTimeoutMs = 700 };
                using (var sub = new ZmtpSocket(ZmtpSocket.SocketKind.Sub, "tcp://127.0.0.1:" + port, opts))
                {
                    sub.Subscribe(Encoding.ASCII.GetBytes("status"));
                    sub.Start();
                    pub.WaitLine("SUB 01" + Hex("status"));
                    Thread.Sleep(2000);
                    Assert.Equal(1, sub.Connects, "no reconnect while idle (last error: " + sub.LastError + ")");
                    Assert.True(sub.Connection.PongsReceived >= 3, "libzmq answered our PINGs: " + sub.Connection.PongsReceived);
                }
            }
        }

        [Test]
        public static void NpcsWithTheSameEndpointsShareOneConnection()
        {
            string data = "tcp://127.0.0.1:" + Loopback.FreePort();
            var a = FacecastConnection.Acquire("tcp://127.0.0.1:1", data);
            var b = FacecastConnection.Acquire("tcp://127.0.0.1:1", data);
            var other = FacecastConnection.Acquire("tcp://127.0.0.1:2", data);
            Assert.True(ReferenceEquals(a, b), "same endpoints: one connection");
            Assert.True(!ReferenceEquals(a, other), "other endpoints: another connection");
            var ch1 = a.Attach("npc-1", true);
            var ch2 = b.Attach("npc-2", false);
            a.Release();
            var c = FacecastConnection.Acquire("tcp://127.0.0.1:1", data);
            Assert.True(ReferenceEquals(b, c), "still shared while one NPC holds it");
            c.Release();
            b.Release();
            var d = FacecastConnection.Acquire("tcp://127.0.0.1:1", data);
            Assert.True(!ReferenceEquals(b, d), "the last release closed it; a new one is made");
            d.Release();
            other.Release();
            Assert.True(ch1.Session == "npc-1" && ch2.Session == "npc-2", "channels");
            var e = FacecastConnection.Acquire("tcp://127.0.0.1:1", data);
            FacecastConnection.CloseAll(); // what a domain unload (Unity script reload) does
            Assert.True(!ReferenceEquals(e, FacecastConnection.Acquire("tcp://127.0.0.1:1", data)), "CloseAll empties the pool");
            FacecastConnection.CloseAll();
        }

        [Test]
        public static void TheReceivePathAllocatesNothingPerMessage()
        {
            // Bytes allocated on the receive thread between consecutive messages (socket reads, ZMTP
            // framing, header and pose decoding, mailbox copy), after a warm-up.
            using (var pub = PeerProcess.Peer("xpub"))
            {
                int port = pub.Port();
                using (var conn = new FacecastConnection("tcp://127.0.0.1:1", "tcp://127.0.0.1:" + port))
                {
                    var ch = conn.Attach("npc-1", true);
                    var handler = conn.Data.OnMessage;
                    var perMessage = new List<long>(4096); // preallocated: its growth would count
                    long last = -1;
                    conn.Data.OnMessage = m =>
                    {
                        handler(m);
                        long now = GC.GetAllocatedBytesForCurrentThread();
                        if (last >= 0) lock (perMessage) perMessage.Add(now - last);
                        last = now;
                    };
                    pub.WaitLine("SUB 01" + Hex("pose/npc-1/"));
                    pub.Send("blast 600 256");
                    pub.WaitLine("BLASTED");
                    WaitFor(() => ch.FramesReceived >= 600, 20000, () => "600 frames (got " + ch.FramesReceived + ")");
                    long[] a;
                    lock (perMessage) a = perMessage.ToArray();
                    long total = 0;
                    var where = new List<string>();
                    for (int i = 50; i < a.Length; i++)
                    {
                        total += a[i];
                        if (a[i] != 0) where.Add("#" + i + ": " + a[i]);
                    }
                    Assert.True(a.Length >= 590, "messages measured: " + a.Length);
                    // Mono's socket layer allocates 112 bytes once per ~128 large messages (measured with
                    // the ZMTP reader alone); anything of ours per message would add at least 16 bytes
                    // to every message.
                    Assert.True(total <= 2 * (a.Length - 50), "allocated " + total + " bytes over " + (a.Length - 50) +
                        " steady-state messages of 256x256 (" + string.Join(", ", where.ToArray()) + ")");
                }
            }
        }

        static Dictionary<string, object> Op(string op)
        {
            return new Dictionary<string, object> { { "op", op } };
        }

        [Test]
        public static void DealerMatchesOutOfOrderRepliesAndCarriesPayloads()
        {
            using (var router = PeerProcess.Peer("router"))
            {
                int port = router.Port();
                var opts = new ZmtpOptions { Identity = Encoding.ASCII.GetBytes("unity-npc") };
                using (var c = new ControlClient("tcp://127.0.0.1:" + port, opts))
                {
                    var r = c.Request(Op("ping"));
                    Assert.True(r.Ok, "ping");
                    Assert.Equal("unity-npc", r.Str("routing_id"), "our Identity property became the ROUTER's routing id");
                    Assert.Equal(1.0, r.Num("parts"), "one part");

                    var payload = new byte[300000];
                    long sum = 0;
                    for (int i = 0; i < payload.Length; i++) { payload[i] = (byte)(i * 7); sum += payload[i]; }
                    r = c.Request(Op("echo"), payload);
                    Assert.Equal(2.0, r.Num("parts"), "request and payload parts (long frame)");
                    Assert.Equal(300000.0, r.Num("payload_len"), "payload length");
                    Assert.Equal((double)sum, r.Num("payload_sum"), "payload bytes");

                    // A slow reply and a fast one: the fast one completes first and each gets its own.
                    var done = new List<string>();
                    var all = new CountdownEvent(2);
                    var slow = Op("slow"); slow["delay_ms"] = 300;
                    long slowId = c.Send(slow, null, 0, 0, rep => { lock (done) done.Add("slow:" + rep.Str("op") + ":" + rep.Id); all.Signal(); });
                    long fastId = c.Send(Op("fast"), null, 0, 0, rep => { lock (done) done.Add("fast:" + rep.Str("op") + ":" + rep.Id); all.Signal(); });
                    Assert.True(all.Wait(5000), "both replies arrive");
                    Assert.Equal("fast:fast:" + fastId, done[0], "fast first");
                    Assert.Equal("slow:slow:" + slowId, done[1], "slow second");

                    var e = Assert.Throws<FacecastControlException>(() => c.Request(Op("fail")), "error reply");
                    Assert.Equal("busy", e.Code, "error code");
                    Assert.Contains("go away", e.Message, "error message");

                    var t = Assert.Throws<FacecastControlException>(() => c.Request(Op("never"), null, 300), "timeout");
                    Assert.Equal("timeout", t.Code, "timeout code");
                    ControlReply late = null;
                    var got = new ManualResetEvent(false);
                    c.Send(Op("never"), null, 0, 0, rep => { late = rep; got.Set(); }, 200);
                    Assert.True(got.WaitOne(3000), "async timeout fires");
                    Assert.Equal("timeout", late.ErrorCode, "async timeout code");
                }
            }
        }

        [Test]
        public static void HeartbeatsKeepAnIdleConnectionAlive()
        {
            // The ROUTER PINGs every 100 ms and drops peers that do not PONG within 400 ms; we also
            // PING it when quiet and would reconnect if its PONGs stopped.
            using (var router = PeerProcess.Peer("router"))
            {
                int port = router.Port();
                var opts = new ZmtpOptions { HeartbeatIntervalMs = 200, HeartbeatTimeoutMs = 600 };
                using (var c = new ControlClient("tcp://127.0.0.1:" + port, opts))
                {
                    c.Request(Op("ping"));
                    Thread.Sleep(1500);
                    var r = c.Request(Op("ping"));
                    Assert.Equal(1.0, r.Num("accepted"), "still the first connection");
                    Assert.Equal(0.0, r.Num("disconnected"), "never dropped");
                    Assert.Equal(1, c.Socket.Connects, "never reconnected");
                    var conn = c.Socket.Connection;
                    Assert.True(conn.PingsAnswered >= 5, "answered libzmq's PINGs: " + conn.PingsAnswered);
                }
            }
        }

        [Test]
        public static void ConnectingToSomethingElseFailsClearly()
        {
            // A plain TCP server that sends HTTP: the greeting check must say so and not hang.
            using (var http = new OneConnectionServer(s =>
            {
                s.Send(Encoding.ASCII.GetBytes("HTTP/1.1 400 Bad Request\r\n\r\n" + new string(' ', 80)));
                Thread.Sleep(500);
            }))
            {
                var e = Assert.Throws<ZmtpClosedException>(() => ZmtpConnection.Connect(new ZmtpEndpoint("127.0.0.1", http.Port), "DEALER", null, 2000, 1 << 20), "http");
                Assert.Contains("not a ZeroMQ", e.Message, "message");
                http.Join();
            }
            Assert.Contains("tcp://127.0.0.1:5555", Assert.Throws<ArgumentException>(() => ZmtpEndpoint.Parse("127.0.0.1:5555"), "no scheme").Message, "hint");
            // A CurveZMQ server (a runtime bound beyond loopback): say so instead of failing obscurely.
            using (var curve = PeerProcess.Peer("curvepub"))
            {
                int cport = curve.Port();
                var ce = Assert.Throws<ZmtpClosedException>(() => ZmtpConnection.Connect(new ZmtpEndpoint("127.0.0.1", cport), "SUB", null, 2000, 1 << 20), "curve");
                Assert.Contains("CurveZMQ", ce.Message, "names the likely cause");
            }
        }
    }
}
