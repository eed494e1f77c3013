using System.Text;

namespace Facecast
{
    /// <summary>Map keys and names pre-encoded as UTF-8 so the receive thread matches them by bytes
    /// instead of allocating a string per key.</summary>
    static class WireKeys
    {
        public static readonly byte[] V = U("v"), Session = U("session"), Seq = U("seq"), Pts = U("pts"),
            Width = U("width"), Height = U("height"), Format = U("format"), Stride = U("stride"),
            Motion = U("motion"), T = U("t"), Blendshapes = U("blendshapes"), Visemes = U("visemes"),
            Head = U("head"), Gaze = U("gaze"), Emotion = U("emotion"), Left = U("left"), Right = U("right"),
            Yaw = U("yaw"), Pitch = U("pitch"), Roll = U("roll"), X = U("x"), Y = U("y"), Scale = U("scale"),
            Label = U("label"), Intensity = U("intensity"), Rgba = U("RGBA"), Bgra = U("BGRA");

        public static readonly byte[][] Arkit = All(FacecastNames.Arkit);
        public static readonly byte[][] Visemes15 = All(FacecastNames.Visemes);
        public static readonly byte[][] Emotions = All(FacecastNames.Emotions);

        public static byte[] U(string s) { return Encoding.UTF8.GetBytes(s); }

        static byte[][] All(string[] names)
        {
            var a = new byte[names.Length][];
            for (int i = 0; i < names.Length; i++) a[i] = U(names[i]);
            return a;
        }

        /// <summary>Index of the string at [off, off+len) in table, trying `hint` first (encoders write
        /// names in table order, so the hint almost always hits); -1 when unknown.</summary>
        public static int Find(byte[][] table, byte[] buf, int off, int len, int hint)
        {
            if (hint >= 0 && hint < table.Length && MsgPackReader.BytesEqual(buf, off, len, table[hint])) return hint;
            for (int i = 0; i < table.Length; i++)
                if (MsgPackReader.BytesEqual(buf, off, len, table[i])) return i;
            return -1;
        }
    }
}
