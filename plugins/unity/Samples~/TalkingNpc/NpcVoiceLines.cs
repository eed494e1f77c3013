using UnityEngine;

namespace Facecast.Samples
{
    /// <summary>Sample: plays the NPC's voice lines on a key press and sets a mood for each, so the
    /// portrait (FacecastFaceTexture) and the 3D head (blendshape and bone drivers) speak them.</summary>
    public sealed class NpcVoiceLines : MonoBehaviour
    {
        [System.Serializable]
        public sealed class Line
        {
            public AudioClip clip;
            public FacecastEmotion emotion = FacecastEmotion.Neutral;
            [Range(0, 1)] public float intensity = 0.7f;
        }

        public FacecastClient client;
        public AudioSource voice;
        public Line[] lines = new Line[0];
        public KeyCode nextLineKey = KeyCode.Space;
        int _next;

        void Update()
        {
            if (client == null || voice == null || lines.Length == 0 || !client.IsReady) return;
            if (!Input.GetKeyDown(nextLineKey)) return;
            var line = lines[_next];
            _next = (_next + 1) % lines.Length;
            client.emotion = line.emotion; // the client sends changed controls by itself
            client.emotionIntensity = line.intensity;
            voice.clip = line.clip;
            voice.Play(); // FacecastAudioSender on the same GameObject streams it to the runtime
        }
    }
}
