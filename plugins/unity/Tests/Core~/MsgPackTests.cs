using System;
using System.Collections.Generic;

namespace Facecast.CoreTests
{
    public static class MsgPackTests
    {
        static byte[] H(string hex)
        {
            var b = new byte[hex.Length / 2];
            for (int i = 0; i < b.Length; i++) b[i] = Convert.ToByte(hex.Substring(2 * i, 2), 16);
            return b;
        }

        [Test]
        public static void EveryIntegerWidthReadsTheSameValue()
        {
            // 5 as fixint, uint8, uint16, uint32, uint64, int8, int16, int32, int64.
            foreach (var hex in new[] { "05", "cc05", "cd0005", "ce00000005", "cf0000000000000005", "d005", "d10005", "d200000005", "d30000000000000005" })
                Assert.Equal(5L, new MsgPackReader(H(hex)).ReadInt64(), hex);
            Assert.Equal(-1L, new MsgPackReader(H("ff")).ReadInt64(), "negative fixint");
            Assert.Equal(-200L, new MsgPackReader(H("d1ff38")).ReadInt64(), "int16");
            Assert.Equal(ulong.MaxValue, new MsgPackReader(H("cfffffffffffffffff")).ReadUInt64(), "uint64 max");
            Assert.Throws<FacecastProtocolException>(() => new MsgPackReader(H("cfffffffffffffffff")).ReadInt64(), "uint64 max as long");
            // An integer where a float is documented, and float32 as well as float64.
            Assert.Equal(3.0, new MsgPackReader(H("03")).ReadDouble(), "int as float");
            Assert.Equal(1.5, new MsgPackReader(H("ca3fc00000")).ReadDouble(), "float32");
            Assert.Equal(0.175, new MsgPackReader(H("cb3fc6666666666666")).ReadDouble(), "float64");
        }

        [Test]
        public static void Float32ReadsExactlyAndWithoutAllocating()
        {
            var b = H("ca3fc00000" + "cabf000000" + "ca7f800000");
            var r = new MsgPackReader(b);
            Assert.Equal(1.5, r.ReadDouble(), "1.5");
            Assert.Equal(-0.5f, r.ReadSingle(), "-0.5");
            Assert.True(double.IsPositiveInfinity(r.ReadDouble()), "inf");
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1000; i++)
            {
                r.Reset(b, 0, b.Length);
                r.ReadSingle(); r.ReadSingle(); r.ReadSingle();
            }
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 256, "float32 reads allocate nothing");
        }

        [Test]
        public static void WriterRoundTripsThroughTheReader()
        {
            var map = new Dictionary<string, object>
            {
                { "i", -123456789012L }, { "u", 70000L }, { "s", new string('x', 300) }, { "f", 0.1 },
                { "b", true }, { "n", null }, { "bin", new byte[70000] }, { "list", new List<object> { 1L, "two", 3.5 } },
                { "ü", "naïve" },
            };
            var back = (Dictionary<string, object>)MsgPackReader.Decode(MsgPackWriter.Encode(map));
            Assert.Equal(map.Count, back.Count, "keys");
            Assert.Equal(-123456789012L, (long)back["i"], "i");
            Assert.Equal(70000L, (long)back["u"], "u");
            Assert.Equal(300, ((string)back["s"]).Length, "s");
            Assert.Equal(0.1, (double)back["f"], "f");
            Assert.Equal(true, (bool)back["b"], "b");
            Assert.True(back["n"] == null, "nil");
            Assert.Equal(70000, ((byte[])back["bin"]).Length, "bin");
            Assert.Equal("two", (string)((List<object>)back["list"])[1], "list");
            Assert.Equal("naïve", (string)back["ü"], "utf-8");
        }

        [Test]
        public static void SmallestEncodingsMatchPythonMsgpack()
        {
            var w = new MsgPackWriter();
            w.Write(1L); w.Write(512L); w.Write(48000L); w.Write(-33L); w.Write("ab");
            string hex = BitConverter.ToString(w.ToArray()).Replace("-", "").ToLowerInvariant();
            Assert.Equal("01cd0200cdbb80d0dfa26162", hex, "encoding");
        }

        [Test]
        public static void TruncatedInputIsRejectedAtEveryCut()
        {
            var good = MsgPackWriter.Encode(new Dictionary<string, object>
            {
                { "v", 1L }, { "session", "npc-1" }, { "pts", 0.5 }, { "data", new byte[40] }, { "l", new List<object> { 1L, 2L } },
            });
            for (int cut = 0; cut < good.Length; cut++)
            {
                int c = cut;
                Assert.Throws<FacecastProtocolException>(() => MsgPackReader.Decode(good, 0, c), "cut at " + c);
            }
            Assert.True(MsgPackReader.Decode(good) is Dictionary<string, object>, "whole message decodes");
        }

        [Test]
        public static void HostileLengthsFailFastWithoutAllocating()
        {
            // A map claiming 4 billion entries, a str claiming 4 GB, an array claiming 65535 items.
            foreach (var hex in new[] { "dfffffffff", "dbffffffff41", "dcffff01", "c6ffffffff00", "de0001" })
            {
                var e = Assert.Throws<FacecastProtocolException>(() => MsgPackReader.Decode(H(hex)), hex);
                Assert.Contains("msgpack", e.Message, hex);
            }
        }

        [Test]
        public static void DeepNestingIsRejectedNotAStackOverflow()
        {
            var b = new byte[100000];
            for (int i = 0; i < b.Length; i++) b[i] = 0x91; // [[[[...
            Assert.Contains("nesting", Assert.Throws<FacecastProtocolException>(() => MsgPackReader.Decode(b), "deep").Message, "deep");
            var r = new MsgPackReader(b);
            Assert.Throws<FacecastProtocolException>(() => r.Skip(), "skip deep");
        }

        [Test]
        public static void InvalidBytesAndTrailingDataAreErrors()
        {
            Assert.Contains("0xc1", Assert.Throws<FacecastProtocolException>(() => MsgPackReader.Decode(H("c1")), "c1").Message, "c1");
            Assert.Contains("unexpected", Assert.Throws<FacecastProtocolException>(() => MsgPackReader.Decode(H("0102")), "trailing").Message, "trailing");
            Assert.Contains("UTF-8", Assert.Throws<FacecastProtocolException>(() => MsgPackReader.Decode(H("a2c328")), "utf8").Message, "utf8");
            Assert.Contains("not a string", Assert.Throws<FacecastProtocolException>(() => MsgPackReader.Decode(H("810102")), "int key").Message, "int key");
            Assert.Throws<FacecastProtocolException>(() => new MsgPackReader(H("a161")).ReadInt64(), "str as int");
        }

        [Test]
        public static void RandomGarbageNeverCrashesOrHangs()
        {
            var rng = new Random(7);
            var seedMsg = MsgPackWriter.Encode(new Dictionary<string, object> { { "a", new List<object> { 1L, "x", 2.5, new byte[3] } }, { "b", new Dictionary<string, object> { { "c", null } } } });
            int rejected = 0;
            for (int i = 0; i < 20000; i++)
            {
                var b = (byte[])seedMsg.Clone();
                int flips = 1 + rng.Next(4);
                for (int k = 0; k < flips; k++) b[rng.Next(b.Length)] = (byte)rng.Next(256);
                try { MsgPackReader.Decode(b); }
                catch (FacecastProtocolException) { rejected++; }
            }
            Assert.True(rejected > 1000, "most mutations are rejected cleanly (" + rejected + ")");
        }
    }
}
