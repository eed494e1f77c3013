namespace Facecast
{
    /// <summary>The msgpack view of FaceMotion (FaceMotion.to_dict in runtime/facemotion.py), read and
    /// written without allocating. Missing names keep their rest value; unknown names are skipped
    /// (newer servers may add some).</summary>
    public static class MotionCodec
    {
        public static void Read(MsgPackReader r, FaceMotion m)
        {
            m.Reset();
            int n = r.ReadMapHeader();
            for (int i = 0; i < n; i++)
            {
                int ko, kl;
                if (!r.TryReadMapKey(out ko, out kl)) continue;
                byte[] b = r.Buffer;
                if (MsgPackReader.BytesEqual(b, ko, kl, WireKeys.T)) m.T = r.ReadDouble();
                else if (MsgPackReader.BytesEqual(b, ko, kl, WireKeys.Blendshapes)) ReadNamed(r, WireKeys.Arkit, m.Blendshapes);
                else if (MsgPackReader.BytesEqual(b, ko, kl, WireKeys.Visemes)) ReadNamed(r, WireKeys.Visemes15, m.Visemes);
                else if (MsgPackReader.BytesEqual(b, ko, kl, WireKeys.Head)) ReadHead(r, m);
                else if (MsgPackReader.BytesEqual(b, ko, kl, WireKeys.Gaze)) ReadGaze(r, m);
                else if (MsgPackReader.BytesEqual(b, ko, kl, WireKeys.Emotion)) ReadEmotion(r, m);
                else r.Skip();
            }
        }

        static void ReadNamed(MsgPackReader r, byte[][] table, float[] values)
        {
            int n = r.ReadMapHeader();
            for (int i = 0; i < n; i++)
            {
                int ko, kl;
                if (!r.TryReadMapKey(out ko, out kl)) continue;
                int idx = WireKeys.Find(table, r.Buffer, ko, kl, i);
                if (idx < 0) r.Skip();
                else values[idx] = r.ReadSingle();
            }
        }

        static void ReadHead(MsgPackReader r, FaceMotion m)
        {
            int n = r.ReadMapHeader();
            for (int i = 0; i < n; i++)
            {
                int ko, kl;
                if (!r.TryReadMapKey(out ko, out kl)) continue;
                byte[] b = r.Buffer;
                if (MsgPackReader.BytesEqual(b, ko, kl, WireKeys.Yaw)) m.HeadYaw = r.ReadSingle();
                else if (MsgPackReader.BytesEqual(b, ko, kl, WireKeys.Pitch)) m.HeadPitch = r.ReadSingle();
                else if (MsgPackReader.BytesEqual(b, ko, kl, WireKeys.Roll)) m.HeadRoll = r.ReadSingle();
                else if (MsgPackReader.BytesEqual(b, ko, kl, WireKeys.X)) m.HeadX = r.ReadSingle();
                else if (MsgPackReader.BytesEqual(b, ko, kl, WireKeys.Y)) m.HeadY = r.ReadSingle();
                else if (MsgPackReader.BytesEqual(b, ko, kl, WireKeys.Scale)) m.HeadScale = r.ReadSingle();
                else r.Skip();
            }
        }

        static void ReadGaze(MsgPackReader r, FaceMotion m)
        {
            int n = r.ReadMapHeader();
            for (int i = 0; i < n; i++)
            {
                int ko, kl;
                if (!r.TryReadMapKey(out ko, out kl)) continue;
                byte[] b = r.Buffer;
                bool left = MsgPackReader.BytesEqual(b, ko, kl, WireKeys.Left);
                bool right = MsgPackReader.BytesEqual(b, ko, kl, WireKeys.Right);
                if (!left && !right) { r.Skip(); continue; }
                int k = r.ReadMapHeader();
                for (int j = 0; j < k; j++)
                {
                    int eo, el;
                    if (!r.TryReadMapKey(out eo, out el)) continue;
                    if (MsgPackReader.BytesEqual(b, eo, el, WireKeys.Yaw))
                    {
                        float v = r.ReadSingle();
                        if (left) m.GazeLeftYaw = v; else m.GazeRightYaw = v;
                    }
                    else if (MsgPackReader.BytesEqual(b, eo, el, WireKeys.Pitch))
                    {
                        float v = r.ReadSingle();
                        if (left) m.GazeLeftPitch = v; else m.GazeRightPitch = v;
                    }
                    else r.Skip();
                }
            }
        }

        static void ReadEmotion(MsgPackReader r, FaceMotion m)
        {
            int n = r.ReadMapHeader();
            for (int i = 0; i < n; i++)
            {
                int ko, kl;
                if (!r.TryReadMapKey(out ko, out kl)) continue;
                byte[] b = r.Buffer;
                if (MsgPackReader.BytesEqual(b, ko, kl, WireKeys.Label))
                {
                    int lo, ll;
                    r.ReadStringRange(out lo, out ll);
                    int idx = WireKeys.Find(WireKeys.Emotions, b, lo, ll, -1);
                    // Known labels reuse the table's string; a new label from a newer server allocates.
                    m.EmotionLabel = idx >= 0 ? FacecastNames.Emotions[idx] : System.Text.Encoding.UTF8.GetString(b, lo, ll);
                }
                else if (MsgPackReader.BytesEqual(b, ko, kl, WireKeys.Intensity)) m.EmotionIntensity = r.ReadSingle();
                else r.Skip();
            }
        }

        /// <summary>Writes the map FaceMotion.to_dict produces (used by tests and tools).</summary>
        public static void Write(MsgPackWriter w, FaceMotion m)
        {
            w.WriteMapHeader(6);
            w.Write("t"); w.Write(m.T);
            w.Write("blendshapes"); w.WriteMapHeader(FaceMotion.BlendshapeCount);
            for (int i = 0; i < FaceMotion.BlendshapeCount; i++) { w.Write(FacecastNames.Arkit[i]); w.Write((double)m.Blendshapes[i]); }
            w.Write("visemes"); w.WriteMapHeader(FaceMotion.VisemeCount);
            for (int i = 0; i < FaceMotion.VisemeCount; i++) { w.Write(FacecastNames.Visemes[i]); w.Write((double)m.Visemes[i]); }
            w.Write("head"); w.WriteMapHeader(6);
            w.Write("yaw"); w.Write((double)m.HeadYaw); w.Write("pitch"); w.Write((double)m.HeadPitch);
            w.Write("roll"); w.Write((double)m.HeadRoll); w.Write("x"); w.Write((double)m.HeadX);
            w.Write("y"); w.Write((double)m.HeadY); w.Write("scale"); w.Write((double)m.HeadScale);
            w.Write("gaze"); w.WriteMapHeader(2);
            w.Write("left"); w.WriteMapHeader(2); w.Write("yaw"); w.Write((double)m.GazeLeftYaw); w.Write("pitch"); w.Write((double)m.GazeLeftPitch);
            w.Write("right"); w.WriteMapHeader(2); w.Write("yaw"); w.Write((double)m.GazeRightYaw); w.Write("pitch"); w.Write((double)m.GazeRightPitch);
            w.Write("emotion"); w.WriteMapHeader(2); w.Write("label"); w.Write(m.EmotionLabel); w.Write("intensity"); w.Write((double)m.EmotionIntensity);
        }
    }
}
