using UnityEditor;
using UnityEngine;

namespace Facecast.Editor
{
    /// <summary>Sender settings, with a warning when Clip mode cannot read the clip.</summary>
    [CustomEditor(typeof(FacecastAudioSender))]
    public sealed class FacecastAudioSenderEditor : UnityEditor.Editor
    {
        public override void OnInspectorGUI()
        {
            DrawDefaultInspector();
            var s = (FacecastAudioSender)target;
            var source = s.GetComponent<AudioSource>();
            if (s.client == null) EditorGUILayout.HelpBox("Assign the NPC's FacecastClient.", MessageType.Warning);
            if (s.mode == FacecastAudioMode.Clip && source != null && source.clip != null && source.clip.loadType != AudioClipLoadType.DecompressOnLoad)
                EditorGUILayout.HelpBox("Clip mode reads samples from '" + source.clip.name + "', which needs Load Type 'Decompress On Load' (or use FilterRead).", MessageType.Warning);
            if (s.mode == FacecastAudioMode.FilterRead)
                EditorGUILayout.HelpBox("FilterRead taps this AudioSource's output on the audio thread and sends it from the main thread at the output sample rate (" + AudioSettings.outputSampleRate + " Hz).", MessageType.None);
            if (Application.isPlaying)
            {
                EditorGUILayout.LabelField("Samples sent", s.SamplesSent.ToString());
                if (s.SamplesDropped > 0) EditorGUILayout.LabelField("Samples dropped", s.SamplesDropped.ToString());
                Repaint();
            }
        }
    }
}
