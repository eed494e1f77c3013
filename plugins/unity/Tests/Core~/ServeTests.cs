using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;

namespace Facecast.CoreTests
{
    /// <summary>The core against a real `facecast serve` on loopback: sessions opened, speech pushed,
    /// poses and frames received and checked, errors reported with their codes.</summary>
    public static class ServeTests
    {
        /// <summary>16-bit PCM WAV (what espeak-ng writes) to float samples.</summary>
        static float[] ReadWav(string path, out int rate, out int channels)
        {
            var b = File.ReadAllBytes(path);
            if (b.Length < 44 || b[0] != 'R' || b[8] != 'W') throw new AssertionException(path + " is not a WAV file");
            rate = 0; channels = 0;
            int pos = 12;
            while (pos + 8 <= b.Length)
            {
                string id = System.Text.Encoding.ASCII.GetString(b, pos, 4);
                int size = BitConverter.ToInt32(b, pos + 4);
                if (id == "fmt ")
                {
                    channels = BitConverter.ToInt16(b, pos + 10);
                    rate = BitConverter.ToInt32(b, pos + 12);
                    if (BitConverter.ToInt16(b, pos + 22) != 16) throw new AssertionException("expected 16-bit PCM");
                }
                else if (id == "data")
                {
                    // espeak-ng streams: the data size may be 0x7fffffff; take what is there.
                    int n = Math.Min(size < 0 ? int.MaxValue : size, b.Length - pos - 8) / 2;
                    var s = new float[n];
                    for (int i = 0; i < n; i++) s[i] = BitConverter.ToInt16(b, pos + 8 + 2 * i) / 32768f;
                    return s;
                }
                pos += 8 + size + (size & 1);
            }
            throw new AssertionException(path + " has no data chunk");
        }

        [Test]
        public static void RealServeSessionsPoseAndFrames()
        {
            string speech = Env.Require(Env.Speech, "--speech");
            string portrait = Env.Require(Env.Portrait, "--portrait");
            int cport = Loopback.FreePort(), dport = Loopback.FreePort();
            string control = "tcp://127.0.0.1:" + cport, data = "tcp://127.0.0.1:" + dport;
            using (var serve = PeerProcess.Python("-m facecast serve --control " + control + " --data " + data))
            using (var conn = new FacecastConnection(control, data))
            {
                // The sockets retry (with backoff) until the service has started.
                ControlReply ping = null;
                ZmtpTests.WaitFor(() =>
                {
                    try { ping = conn.Control.Request(new Dictionary<string, object> { { "op", "ping" } }, null, 1000); return true; }
                    catch (FacecastControlException) { return false; }
                }, 60000, () => "facecast serve to answer a ping; its stderr: " + serve.Stderr());
                Assert.Equal(1.0, ping.Num("protocol"), "protocol");
                ZmtpTests.WaitFor(() => conn.Data.IsConnected, 5000, () => "the data socket");

                // --- pose-only session: speech in, poses out on the session clock.
                var pose = FacecastSession.Open(conn, new SessionOptions { Session = "unity-pose", PoseOnly = true, Fps = 25 });
                Assert.Equal("unity-pose", pose.Id, "session id");
                Assert.Equal(25.0, pose.Fps, "fps");
                Assert.Equal(false, pose.VoiceGate, "a pose-only session runs without the voice gate unless asked");
                var gated = FacecastSession.Open(conn, new SessionOptions { Session = "unity-gated", PoseOnly = true, Fps = 25, VoiceGate = VoiceGateMode.On });
                Assert.Equal(true, gated.VoiceGate, "the voice gate on request");
                gated.Close();
                int rate, channels;
                float[] samples = ReadWav(speech, out rate, out channels);
                // Every pose, as the receive thread sees it (the mailbox keeps only the newest).
                var poses = new List<double[]>();
                pose.Channel.OnPose = p =>
                {
                    lock (poses) poses.Add(new[] { p.Seq, p.Pts, p.Motion["jawOpen"], p.Session == "unity-pose" && p.Motion.T == p.Pts ? 1 : 0 });
                };
                var replies = new List<ControlReply>();
                var got = new CountdownEvent(1);
                Thread.Sleep(300); // the subscription reaches the PUB socket
                pose.PushAudio(samples, 0, samples.Length, rate, channels, r => { lock (replies) replies.Add(r); got.Signal(); });
                Assert.True(got.Wait(20000), "push_audio replied");
                var pushed = replies[0];
                Assert.True(pushed.Ok, "push_audio ok: " + pushed);
                double startPts = pushed.Num("pts");
                double duration = pushed.Num("duration_s");
                Assert.Near(samples.Length / (double)rate, duration, 0.01, "duration_s of the pushed float32 speech");
                // The clock runs in real time, so this takes about the speech's length (more on a busy machine).
                ZmtpTests.WaitFor(() => { lock (poses) return poses.Count > 0 && poses[poses.Count - 1][1] >= startPts + duration; }, 60000,
                    () => "poses past the end of the speech (pts " + startPts + " + " + duration + ")");
                double[][] all;
                lock (poses) all = poses.ToArray();
                pose.Channel.OnPose = null;
                float maxJaw = 0f;
                int gaps = 0;
                for (int i = 0; i < all.Length; i++)
                {
                    Assert.True(all[i][3] == 1, "pose " + i + " belongs to the session and motion.t equals pts");
                    if (all[i][1] >= startPts + 0.2 && all[i][1] < startPts + duration) maxJaw = Math.Max(maxJaw, (float)all[i][2]);
                    if (i == 0) continue;
                    double dseq = all[i][0] - all[i - 1][0];
                    Assert.True(dseq >= 1, "pose seq increases");
                    if (dseq > 1) gaps++;
                    Assert.Near(dseq / 25.0, all[i][1] - all[i - 1][1], 1e-6, "pts advances 1/fps per seq");
                }
                // On a loaded machine the server (or its PUB high-water mark) may drop some poses; seq
                // gaps show them, and pts stays consistent with seq across every gap (checked above).
                Assert.True(all.Length >= 10, "poses over the speech: " + all.Length + " (" + gaps + " seq gaps)");
                Assert.Equal(0L, conn.DataErrors, "every data message decoded (" + conn.LastDataError + ")");
                Assert.True(maxJaw > 0.15, "the jaw opens with the speech: max jawOpen " + maxJaw);
                PoseHeader latest;
                Assert.True(pose.Channel.Poses.TryTake(out latest) && latest.Seq >= (ulong)all[all.Length - 1][0], "the mailbox holds the newest pose");

                // --- many NPCs on one connection: each session's poses reach its own channel only.
                var crowd = new List<FacecastSession>();
                for (int i = 0; i < 8; i++)
                    crowd.Add(FacecastSession.Open(conn, new SessionOptions { Session = "crowd-" + i, PoseOnly = true, Fps = 20 }));
                ZmtpTests.WaitFor(() => crowd.TrueForAll(c => c.Channel.PosesReceived >= 15), 10000,
                    () => "15 poses on each of 8 sessions (got " + string.Join(",", crowd.ConvertAll(c => c.Channel.PosesReceived.ToString()).ToArray()) + ")");
                foreach (var c in crowd)
                {
                    PoseHeader p;
                    Assert.True(c.Channel.Poses.TryTake(out p), "pose waiting for " + c.Id);
                    Assert.Equal(c.Id, p.Session, "no cross-talk between sessions");
                    c.Close();
                }
                Assert.Equal(1, conn.Data.Connects, "one data connection for all sessions");

                // --- frame session: portrait in, RGBA frames out.
                var face = FacecastSession.Open(conn, new SessionOptions { Session = "unity-face", Size = 256, Fps = 25 });
                var e = Assert.Throws<FacecastControlException>(() => face.LoadAvatar("/nonexistent/portrait.png"), "missing portrait");
                Assert.True(e.Code == "bad_image" || e.Code == "bad_argument", "code for a missing file: " + e.Code + " " + e.Message);
                var loaded = face.LoadAvatar(portrait, 120000);
                Assert.Equal(256.0, loaded.Num("size"), "avatar size");
                ZmtpTests.WaitFor(() => face.Channel.FramesReceived >= 3, 30000, () => "3 frames (got " + face.Channel.FramesReceived + ", status " + Describe(conn) + ")");
                FrameSlot f;
                Assert.True(face.Channel.Frames.TryTake(out f), "a frame is waiting");
                Assert.Equal(256, f.Width, "frame width"); Assert.Equal(256, f.Height, "frame height");
                Assert.Equal(PixelFormat.Rgba, f.Format, "format");
                Assert.True(f.Pixels.Length >= 256 * 256 * 4, "pixel buffer");
                int opaque = 0, distinct = 0;
                int prev = -1;
                for (int i = 0; i < 256 * 256; i++)
                {
                    if (f.Pixels[4 * i + 3] == 255) opaque++;
                    int rgb = f.Pixels[4 * i] << 16 | f.Pixels[4 * i + 1] << 8 | f.Pixels[4 * i + 2];
                    if (rgb != prev) distinct++;
                    prev = rgb;
                }
                Assert.Equal(256 * 256, opaque, "background kept: every pixel opaque");
                Assert.True(distinct > 1000, "the frame is a picture, not a flat fill (" + distinct + " colour changes)");
                ulong firstSeq = f.Seq;
                double firstPts = f.Pts;
                long seen = face.Channel.FramesReceived;
                ZmtpTests.WaitFor(() => face.Channel.FramesReceived >= seen + 2, 30000, () => "more frames");
                Assert.True(face.Channel.Frames.TryTake(out f), "a newer frame is waiting");
                Assert.True(f.Seq > firstSeq && f.Pts > firstPts, "frames advance: seq " + firstSeq + "->" + f.Seq + ", pts " + firstPts + "->" + f.Pts);
                // A CPU renderer may skip instants (pts jumps by several frame periods), but every frame
                // sits on the session's 1/fps grid, where the matching pose is.
                Assert.Near(Math.Round(f.Pts * 25), f.Pts * 25, 1e-4, "frame pts on the 1/25 s grid");

                // --- controls and errors.
                var setDone = new ManualResetEvent(false);
                ControlReply setReply = null;
                face.Set(new Dictionary<string, object> { { "emotion", "happy" }, { "emotion_intensity", 0.8 } }, r => { setReply = r; setDone.Set(); });
                Assert.True(setDone.WaitOne(5000), "set replied");
                Assert.True(setReply.Ok, "set ok: " + setReply);
                var controls = WireMaps.Map(setReply.Fields, "controls");
                Assert.Equal("happy", WireMaps.Str(controls, "emotion", null), "controls in force");
                setDone.Reset();
                face.Set(new Dictionary<string, object> { { "emotion", "smug" } }, r => { setReply = r; setDone.Set(); });
                Assert.True(setDone.WaitOne(5000), "bad set replied");
                Assert.Equal("bad_argument", setReply.ErrorCode, "unknown emotion");

                var st = face.Status();
                Assert.Equal("unity-face", st.Session, "status entry");
                Assert.True(st.Frames >= 5, "status counts frames: " + st.Frames);

                face.Close();
                pose.Close();
                var ghost = Assert.Throws<FacecastControlException>(() => conn.Control.Request(new Dictionary<string, object> { { "op", "close" }, { "session", "unity-face" } }), "closed");
                Assert.Equal("unknown_session", ghost.Code, "closed session is gone");
            }
        }

        static string Describe(FacecastConnection conn)
        {
            var s = conn.LatestStatus;
            if (s == null) return "none";
            var parts = new List<string>();
            foreach (var x in s.Sessions) parts.Add(x.Session + ":" + x.State + (x.ErrorMessage != null ? " " + x.ErrorMessage : ""));
            return string.Join(", ", parts.ToArray());
        }
    }
}
