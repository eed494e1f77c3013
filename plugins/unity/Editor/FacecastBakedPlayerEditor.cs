using UnityEditor;
using UnityEngine;

namespace Facecast.Editor
{
    /// <summary>Player settings with play/stop buttons and the play head.</summary>
    [CustomEditor(typeof(FacecastBakedPlayer))]
    public sealed class FacecastBakedPlayerEditor : UnityEditor.Editor
    {
        public override void OnInspectorGUI()
        {
            DrawDefaultInspector();
            var p = (FacecastBakedPlayer)target;
            if (p.clip == null)
            {
                EditorGUILayout.HelpBox("Assign a baked clip: drop a `facecast bake` .json/.csv into Assets, select it and use Assets > Facecast > Convert Bake File to Clip (or name it .facecast).", MessageType.Info);
                return;
            }
            EditorGUILayout.LabelField("Clip", p.clip.duration.ToString("F2") + " s at " + p.clip.fps + " fps");
            if (!Application.isPlaying) return;
            EditorGUILayout.LabelField("Time", p.Time.ToString("F2") + " s" + (p.IsPlaying ? "" : " (stopped)"));
            using (new EditorGUILayout.HorizontalScope())
            {
                if (GUILayout.Button("Play")) p.Play();
                if (GUILayout.Button("Stop")) p.Stop();
            }
            Repaint();
        }
    }
}
