using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Threading;

namespace Facecast.CoreTests
{
    /// <summary>Speed of the receive path (run with --bench, not part of the tests): pose decoding,
    /// the frame copy into the mailbox against a bare memcpy of the same bytes, and 512x512 frames
    /// from a pyzmq PUB through the C# SUB into the mailbox. Medians and p95 of repeated runs.</summary>
    public static class Bench
    {
        static double Pct(List<double> xs, double p)
        {
            var a = xs.ToArray();
            Array.Sort(a);
            return a[Math.Min(a.Length - 1, (int)Math.Round(p * (a.Length - 1)))];
        }

        static string Stats(List<double> xs, string unit)
        {
            return "median " + Pct(xs, 0.5).ToString("F3") + " " + unit + ", p95 " + Pct(xs, 0.95).ToString("F3") + " " + unit;
        }

        public static void Run()
        {
            // Pose decode: 50 batches of 1000.
            var pose = File.ReadAllBytes(Path.Combine(Env.Require(Env.Fixtures, "--fixtures"), "pose_header.msgpack"));
            var ph = new PoseHeader();
            var r = new MsgPackReader();
            var us = new List<double>();
            for (int b = 0; b < 50; b++)
            {
                var sw = Stopwatch.StartNew();
                for (int i = 0; i < 1000; i++) WireDecoder.DecodePose(pose, 0, pose.Length, r, ph);
                us.Add(sw.Elapsed.TotalMilliseconds); // ms per 1000 = us per decode
            }
            Console.WriteLine("pose decode (" + pose.Length + " bytes, 52+15 names): " + Stats(us, "us"));

            // Frame copy into the mailbox (bottom-up flip) vs a bare BlockCopy of the same 1 MiB.
            var h = new FrameHeader { Session = "npc-1", Width = 512, Height = 512, Stride = 2048, Format = PixelFormat.Rgba };
            var px = new byte[512 * 2048];
            var box = new FrameMailbox();
            var dst = new byte[px.Length];
            var mb = new List<double>();
            var raw = new List<double>();
            for (int i = 0; i < 300; i++)
            {
                var sw = Stopwatch.StartNew();
                box.Write(h, px, 0, px.Length);
                mb.Add(sw.Elapsed.TotalMilliseconds);
                sw = Stopwatch.StartNew();
                Buffer.BlockCopy(px, 0, dst, 0, px.Length);
                raw.Add(sw.Elapsed.TotalMilliseconds);
            }
            Console.WriteLine("512x512 frame into the mailbox (flip rows): " + Stats(mb, "ms") + "; bare memcpy " + Stats(raw, "ms") +
                "; ratio of medians " + (Pct(mb, 0.5) / Pct(raw, 0.5)).ToString("F2"));

            // Pose latency: wall clock at the PUB's send to the moment the pose is in the mailbox.
            using (var pub = PeerProcess.Peer("xpub"))
            {
                int port = pub.Port();
                using (var conn = new FacecastConnection("tcp://127.0.0.1:1", "tcp://127.0.0.1:" + port))
                {
                    var ch = conn.Attach("npc-1", false);
                    var lat = new List<double>(1000);
                    var epoch = new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);
                    ch.OnPose = p => { double now = (DateTime.UtcNow - epoch).TotalSeconds; lock (lat) lat.Add((now - p.Pts) * 1000); };
                    pub.WaitLine("SUB 01");
                    Thread.Sleep(200);
                    pub.Send("poses 300");
                    pub.WaitLine("POSED", 60000);
                    Thread.Sleep(200);
                    lock (lat) Console.WriteLine("pose latency, PUB send -> C# mailbox (" + lat.Count + " poses at 100 Hz): " + Stats(lat, "ms"));
                }
            }

            // End to end over loopback: 3 runs of 300 frames of 512x512.
            for (int run = 0; run < 3; run++)
            {
                using (var pub = PeerProcess.Peer("xpub"))
                {
                    int port = pub.Port();
                    using (var conn = new FacecastConnection("tcp://127.0.0.1:1", "tcp://127.0.0.1:" + port))
                    {
                        var ch = conn.Attach("npc-1", true);
                        pub.WaitLine("SUB 01");
                        Thread.Sleep(200);
                        var sw = Stopwatch.StartNew();
                        pub.Send("blast 300 512");
                        string line = pub.WaitLine("BLASTED", 60000);
                        double sendS = double.Parse(line.Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture);
                        int last = Environment.TickCount;
                        long seen = 0;
                        while (Environment.TickCount - last < 500)
                        {
                            if (ch.FramesReceived != seen) { seen = ch.FramesReceived; last = Environment.TickCount; }
                            Thread.Sleep(1);
                        }
                        double recvS = sw.Elapsed.TotalSeconds - 0.5;
                        Console.WriteLine("run " + (run + 1) + ": pyzmq PUB sent 300 frames of 512x512 in " + sendS.ToString("F3") + " s (" + (300 / sendS).ToString("F0") +
                            " fps); the C# SUB took " + ch.FramesReceived + " into the mailbox in " + recvS.ToString("F3") + " s (" + (ch.FramesReceived / recvS).ToString("F0") +
                            " fps, " + (ch.FramesReceived / recvS).ToString("F0") + " MiB/s), " + ch.FrameGaps + " dropped by the PUB's high-water mark");
                    }
                }
            }
        }
    }
}
