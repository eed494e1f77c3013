using System;

namespace Facecast
{
    /// <summary>Pose parameters for one frame, as runtime/facemotion.py defines them. Arrays are in the
    /// order of FacecastNames.Arkit and FacecastNames.Visemes. Mutable and reused: the receive thread
    /// decodes into one instance and the mailbox swaps instances, so steady state allocates nothing.
    /// Angles in degrees from the viewer's side: yaw &gt; 0 turns the face toward the viewer's right,
    /// pitch &gt; 0 is chin up, roll &gt; 0 tilts clockwise as the viewer sees it.</summary>
    public sealed class FaceMotion
    {
        public const int BlendshapeCount = 52;
        public const int VisemeCount = 15;

        public double T;
        public readonly float[] Blendshapes = new float[BlendshapeCount];
        public readonly float[] Visemes = new float[VisemeCount];
        public float HeadYaw, HeadPitch, HeadRoll, HeadX, HeadY, HeadScale = 1f;
        public float GazeLeftYaw, GazeLeftPitch, GazeRightYaw, GazeRightPitch;
        /// <summary>One of FacecastNames.Emotions (the same string instance when known).</summary>
        public string EmotionLabel = "neutral";
        public float EmotionIntensity;

        public FaceMotion() { Reset(); }

        /// <summary>The rest pose: everything zero, the silence viseme on, scale 1, neutral.</summary>
        public void Reset()
        {
            T = 0;
            Array.Clear(Blendshapes, 0, BlendshapeCount);
            Array.Clear(Visemes, 0, VisemeCount);
            Visemes[0] = 1f;
            HeadYaw = HeadPitch = HeadRoll = HeadX = HeadY = 0f;
            HeadScale = 1f;
            GazeLeftYaw = GazeLeftPitch = GazeRightYaw = GazeRightPitch = 0f;
            EmotionLabel = "neutral";
            EmotionIntensity = 0f;
        }

        public void CopyFrom(FaceMotion o)
        {
            T = o.T;
            Array.Copy(o.Blendshapes, Blendshapes, BlendshapeCount);
            Array.Copy(o.Visemes, Visemes, VisemeCount);
            HeadYaw = o.HeadYaw; HeadPitch = o.HeadPitch; HeadRoll = o.HeadRoll;
            HeadX = o.HeadX; HeadY = o.HeadY; HeadScale = o.HeadScale;
            GazeLeftYaw = o.GazeLeftYaw; GazeLeftPitch = o.GazeLeftPitch;
            GazeRightYaw = o.GazeRightYaw; GazeRightPitch = o.GazeRightPitch;
            EmotionLabel = o.EmotionLabel;
            EmotionIntensity = o.EmotionIntensity;
        }

        /// <summary>Linear blend toward b by f (0..1): smoothing and baked-curve sampling. The emotion
        /// label switches at the halfway point.</summary>
        public void Lerp(FaceMotion a, FaceMotion b, float f)
        {
            T = a.T + (b.T - a.T) * f;
            for (int i = 0; i < BlendshapeCount; i++) Blendshapes[i] = a.Blendshapes[i] + (b.Blendshapes[i] - a.Blendshapes[i]) * f;
            for (int i = 0; i < VisemeCount; i++) Visemes[i] = a.Visemes[i] + (b.Visemes[i] - a.Visemes[i]) * f;
            HeadYaw = L(a.HeadYaw, b.HeadYaw, f); HeadPitch = L(a.HeadPitch, b.HeadPitch, f); HeadRoll = L(a.HeadRoll, b.HeadRoll, f);
            HeadX = L(a.HeadX, b.HeadX, f); HeadY = L(a.HeadY, b.HeadY, f); HeadScale = L(a.HeadScale, b.HeadScale, f);
            GazeLeftYaw = L(a.GazeLeftYaw, b.GazeLeftYaw, f); GazeLeftPitch = L(a.GazeLeftPitch, b.GazeLeftPitch, f);
            GazeRightYaw = L(a.GazeRightYaw, b.GazeRightYaw, f); GazeRightPitch = L(a.GazeRightPitch, b.GazeRightPitch, f);
            if (a.EmotionLabel == b.EmotionLabel)
            {
                EmotionLabel = a.EmotionLabel;
                EmotionIntensity = L(a.EmotionIntensity, b.EmotionIntensity, f);
            }
            else
            {
                EmotionLabel = f < 0.5f ? a.EmotionLabel : b.EmotionLabel;
                EmotionIntensity = f < 0.5f ? a.EmotionIntensity : b.EmotionIntensity;
            }
        }

        static float L(float a, float b, float f) { return a + (b - a) * f; }

        /// <summary>Blendshape value by any ARKit spelling (jawOpen, JawOpen, eyeBlink_L).</summary>
        public float this[string name]
        {
            get { return Blendshapes[FacecastNames.ArkitIndex(FacecastNames.Canonical(name))]; }
            set { Blendshapes[FacecastNames.ArkitIndex(FacecastNames.Canonical(name))] = value; }
        }

        public float Viseme(string name)
        {
            int i = FacecastNames.VisemeIndex(name);
            if (i < 0) throw new ArgumentException("unknown viseme '" + name + "'; expected one of " + string.Join(" ", FacecastNames.Visemes));
            return Visemes[i];
        }

        /// <summary>The intensity of an emotion when it is the one in force, else 0.</summary>
        public float Emotion(string label)
        {
            return EmotionLabel == label ? EmotionIntensity : 0f;
        }
    }
}
