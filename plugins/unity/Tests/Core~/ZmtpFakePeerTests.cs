using System;
using System.Collections.Generic;
using System.Net.Sockets;
using System.Text;
using System.Threading;

namespace Facecast.CoreTests
{
    /// <summary>The ZMTP details libzmq does not let a test provoke: a scripted TCP peer that does a
    /// correct handshake, then records what the client sends or sends it something broken.</summary>
    public static class ZmtpFakePeerTests
    {
        static byte[] Greeting(int minor)
        {
            var g = new byte[64];
            g[0] = 0xff; g[9] = 0x7f; g[10] = 3; g[11] = (byte)minor;
            Encoding.ASCII.GetBytes("NULL", 0, 4, g, 12);
            return g;
        }

        static byte[] Ready(string socketType)
        {
            var r = new List<byte> { 0x04, 0 };
            r.Add(5); r.AddRange(Encoding.ASCII.GetBytes("READY"));
            r.Add(11); r.AddRange(Encoding.ASCII.GetBytes("Socket-Type"));
            r.AddRange(new byte[] { 0, 0, 0, (byte)socketType.Length }); r.AddRange(Encoding.ASCII.GetBytes(socketType));
            r[1] = (byte)(r.Count - 2);
            return r.ToArray();
        }

        static void ReadExact(Socket s, byte[] b, int n)
        {
            int got = 0;
            while (got < n)
            {
                int k = s.Receive(b, got, n - got, SocketFlags.None);
                if (k <= 0) throw new AssertionException("the client hung up");
                got += k;
            }
        }

        /// <summary>Runs a SUB against a fake PUB speaking ZMTP 3.minor and returns the first frame the
        /// client sends after its READY, as hex.</summary>
        static string FirstFrameAfterReady(int minor)
        {
            string result = null;
            using (var peer = new OneConnectionServer(s =>
            {
                s.ReceiveTimeout = 3000;
                s.Send(Greeting(minor));
                s.Send(Ready("PUB"));
                var b = new byte[256];
                ReadExact(s, b, 64); // the client's greeting
                ReadExact(s, b, 2);  // its READY command: flags, size
                ReadExact(s, b, b[1]);
                ReadExact(s, b, 2);  // the next frame
                int n = b[1];
                byte flags = b[0];
                ReadExact(s, b, n);
                result = flags.ToString("x2") + n.ToString("x2") + BitConverter.ToString(b, 0, n).Replace("-", "").ToLowerInvariant();
            }))
            {
                using (var sub = new ZmtpSocket(ZmtpSocket.SocketKind.Sub, peer.Endpoint))
                {
                    sub.Subscribe(Encoding.ASCII.GetBytes("pose/"));
                    sub.Start();
                    peer.Join(5000);
                }
                if (result == null && peer.Error != null)
                    throw new AssertionException("the fake PUB failed: " + peer.Error.Message);
            }
            return result;
        }

        [Test]
        public static void SubscriptionsUseTheFormThePeersVersionExpects()
        {
            string topic = BitConverter.ToString(Encoding.ASCII.GetBytes("pose/")).Replace("-", "").ToLowerInvariant();
            // ZMTP 3.1: a SUBSCRIBE command frame (flags 0x04, name length 9, "SUBSCRIBE", topic).
            Assert.Equal("04" + "0f" + "09" + BitConverter.ToString(Encoding.ASCII.GetBytes("SUBSCRIBE")).Replace("-", "").ToLowerInvariant() + topic,
                FirstFrameAfterReady(1), "3.1 peer");
            // ZMTP 3.0: a message frame holding 0x01 then the topic.
            Assert.Equal("00" + "06" + "01" + topic, FirstFrameAfterReady(0), "3.0 peer");
        }

        /// <summary>A fake PUB that completes a correct handshake, then sends one bad thing.</summary>
        static string FakePubError(byte[] afterHandshake)
        {
            using (var peer = new OneConnectionServer(s =>
            {
                s.Send(Greeting(1));
                s.Send(Ready("PUB"));
                s.Send(afterHandshake);
                Thread.Sleep(400);
            }))
            using (var sub = new ZmtpSocket(ZmtpSocket.SocketKind.Sub, peer.Endpoint, new ZmtpOptions { ReconnectMinMs = 50 }))
            {
                int got = 0;
                sub.OnMessage = m => got++;
                sub.Subscribe(new byte[0]);
                sub.Start();
                ZmtpTests.WaitFor(() => sub.LastError != null, 3000, "the bad frame to be rejected");
                string first = sub.LastError; // later reconnect attempts overwrite it
                peer.Join();
                peer.Dispose();
                Assert.Equal(0, got, "nothing delivered from a broken stream");
                return first;
            }
        }

        [Test]
        public static void BrokenStreamsFromThePeerAreRejectedNotTrusted()
        {
            Assert.Contains("reserved flag bits", FakePubError(new byte[] { 0xf0, 0x01, 0x00 }), "reserved bits");
            // A long frame claiming 2^62 bytes: rejected before any allocation.
            Assert.Contains("over the", FakePubError(new byte[] { 0x02, 0x40, 0, 0, 0, 0, 0, 0, 0 }), "huge frame");
            Assert.Contains("MORE", FakePubError(new byte[] { 0x05, 0x04, 4, (byte)'P', (byte)'I', (byte)'N' }), "command with MORE");
            // Truncated: the peer hangs up in the middle of a frame.
            string cut = FakePubError(new byte[] { 0x00, 0x10, 1, 2, 3 });
            Assert.True(cut.Contains("closed") || cut.Contains("reset"), "truncated frame ends the connection: " + cut);
        }

    }
}
